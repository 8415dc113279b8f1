package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cvmgate/cvmgate/internal/limits"
)

// maxInputFile bounds every file the CLI reads.
const maxInputFile = 4 << 20

// readInput reads the file a flag names, "-" meaning standard input (for
// one flag at most). Its errors are usage errors that name the flag, the
// file, what was expected and what was found.
func readInput(e *env, flagName, path string) ([]byte, error) {
	if path == "-" {
		if e.stdinFlag != "" {
			return nil, usagef("%s -: standard input is already read by %s; give one of them a file", flagName, e.stdinFlag)
		}
		e.stdinFlag = flagName
		data, err := limits.ReadAll(e.stdin, maxInputFile)
		if err != nil {
			return nil, usagef("%s -: reading standard input: %w", flagName, err)
		}
		return data, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{fileError(flagName, path, err)}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, usagef("%s %s: expected a file, found a directory", flagName, path)
	}
	data, err := limits.ReadAll(f, maxInputFile)
	if err != nil {
		return nil, usageError{fileError(flagName, path, err)}
	}
	return data, nil
}

// fileError says what went wrong with the file a flag names.
func fileError(flagName, path string, err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: expected a readable file, found none at that path", flagName, path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: expected a readable file, found no permission to read it", flagName, path)
	case errors.Is(err, limits.ErrTooLarge):
		return fmt.Errorf("%s %s: expected at most %d bytes, found more", flagName, path, maxInputFile)
	case errors.As(err, &pe):
		return fmt.Errorf("%s %s: %w", flagName, path, pe.Err)
	}
	return fmt.Errorf("%s %s: %w", flagName, path, err)
}

// writeOutput writes data to the file a flag names, "-" meaning standard
// output. An existing file is replaced only when replace is set.
func writeOutput(e *env, flagName, path string, data []byte, replace bool) error {
	if path == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	mode := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if replace {
		mode = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, mode, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usagef("%s %s: the file exists and is not overwritten; remove it or choose another path", flagName, path)
	}
	if err != nil {
		return usageError{fileError(flagName, path, err)}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return usageError{fileError(flagName, path, err)}
	}
	if err := f.Close(); err != nil {
		return usageError{fileError(flagName, path, err)}
	}
	return nil
}
