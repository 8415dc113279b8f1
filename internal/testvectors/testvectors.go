// Package testvectors locates the real-hardware TDX vectors kept in
// testdata/vectors at the module root: public sample quotes, collateral and
// dstack GetQuote answers, unmodified, with their sources and licences in
// testdata/vectors/README.md. They are part of the repository, so a vector
// that cannot be read fails the test that asked for it: a missing file is a
// broken checkout, not a reason to skip.
package testvectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// Find returns the vectors folder: it walks up from the working directory
// (the package under test) to the module root, the folder holding go.mod,
// and returns its testdata/vectors. It is for callers without a
// testing.TB, such as fuzz seeding; tests use Dir.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the package directory")
		}
		dir = parent
	}
	vectors := filepath.Join(dir, "testdata", "vectors")
	if _, err := os.Stat(vectors); err != nil {
		return "", fmt.Errorf("testdata/vectors at the module root: %w", err)
	}
	return vectors, nil
}

// Dir returns the vectors folder, or fails tb when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := Find()
	if err != nil {
		tb.Fatalf("testvectors: real TDX vectors not found (they are committed with the repository): %v", err)
	}
	return dir
}

// Path returns the path of a file below the vectors folder, such as
// Path(tb, "dcap-qvl", "tdx_quote"), or fails tb when the file is absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	path := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("testvectors: vector %s missing from testdata/vectors: %v", filepath.Join(elem...), err)
	}
	return path
}

// Read returns the contents of a file below the vectors folder, or fails
// tb when it cannot be read.
func Read(tb testing.TB, elem ...string) []byte {
	tb.Helper()
	data, err := os.ReadFile(Path(tb, elem...))
	if err != nil {
		tb.Fatalf("testvectors: %v", err)
	}
	return data
}

// Quote returns the raw quote of a vector: the file itself when it is
// binary, or the hex "quote" field (trailing padding included) of a dstack
// JSON answer. It fails tb when the vector is absent or malformed.
func Quote(tb testing.TB, elem ...string) []byte {
	tb.Helper()
	data := Read(tb, elem...)
	if filepath.Ext(elem[len(elem)-1]) != ".json" {
		return data
	}
	var doc struct {
		Quote string `json:"quote"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("testvectors: %s: %v", filepath.Join(elem...), err)
	}
	raw, err := hexfmt.Decode(doc.Quote)
	if err != nil {
		tb.Fatalf("testvectors: %s: quote: %v", filepath.Join(elem...), err)
	}
	return raw
}
