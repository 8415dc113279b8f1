// Package testvectors locates the real-hardware TDX vectors that live beside
// the checkout in ../shared/vectors. They are third-party data: tests read
// them from there and skip, saying why, when the folder is absent.
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
// (the package under test) to the repository root, the folder holding
// go.mod, then to ../shared/vectors. It is for callers without a
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
	vectors := filepath.Join(dir, "..", "shared", "vectors")
	if _, err := os.Stat(vectors); err != nil {
		return "", fmt.Errorf("they live beside the checkout, in ../shared/vectors: %w", err)
	}
	return vectors, nil
}

// Dir returns the vectors folder, or skips tb when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := Find()
	if err != nil {
		tb.Skipf("real TDX vectors not found: %v", err)
	}
	return dir
}

// Path returns the path of a file below the vectors folder, or skips tb
// when the folder is absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{Dir(tb)}, elem...)...)
}

// Read returns the contents of a file below the vectors folder, or skips
// tb when the folder is absent. A missing file inside it fails the test.
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
// JSON answer. It skips tb when the vectors are absent.
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
