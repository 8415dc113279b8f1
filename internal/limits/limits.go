// Package limits holds the one size error every reader of untrusted or
// local input in this module returns, and the bounded read they share.
// verify.ErrTooLarge is the same value, for callers outside the module.
package limits

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge matches every input refused for its size: a document, a
// response body, a file. Input over its bound is refused, never truncated.
var ErrTooLarge = errors.New("too large")

// ReadAll reads r to its end, refusing more than limit bytes with an error
// that wraps ErrTooLarge. It reads at most limit+1 bytes from r.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, TooLarge(limit, "more")
	}
	return data, nil
}

// TooLarge returns an error wrapping ErrTooLarge that says the bound and
// what was found ("more", or a size such as "2000000 bytes").
func TooLarge(limit int64, found string) error {
	return fmt.Errorf("%w: expected at most %d bytes, found %s", ErrTooLarge, limit, found)
}
