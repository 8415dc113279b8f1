// Package testvectors locates the real-hardware TDX vectors that live beside
// the checkout in ../shared/vectors. They are third-party data: tests read
// them from there and skip, saying why, when the folder is absent.
package testvectors

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the vectors folder, or skips tb when it is absent. It walks up
// from the working directory (the package under test) to the repository
// root, the folder holding go.mod, then to ../shared/vectors.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("testvectors: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("real TDX vectors not found: no go.mod above the package directory")
		}
		dir = parent
	}
	vectors := filepath.Join(dir, "..", "shared", "vectors")
	if _, err := os.Stat(vectors); err != nil {
		tb.Skipf("real TDX vectors not found at %s (they live beside the checkout, in ../shared/vectors): %v", vectors, err)
	}
	return vectors
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
