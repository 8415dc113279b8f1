package main

import (
	"io"
	"os"
)

// maxInputFile bounds every file the CLI reads.
const maxInputFile = 4 << 20

// readFile reads a whole local file, refusing anything over maxInputFile.
// Its errors are usage errors.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInputFile+1))
	if err != nil {
		return nil, usagef("read %s: %w", path, err)
	}
	if len(data) > maxInputFile {
		return nil, usagef("read %s: larger than %d bytes", path, maxInputFile)
	}
	return data, nil
}
