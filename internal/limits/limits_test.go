package limits

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadAll(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		limit   int64
		tooLong bool
	}{
		{"empty", "", 4, false},
		{"under", "abc", 4, false},
		{"at the limit", "abcd", 4, false},
		{"one over", "abcde", 4, true},
		{"far over", strings.Repeat("x", 1<<16), 4, true},
		{"zero limit, empty", "", 0, false},
		{"zero limit, one byte", "x", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadAll(strings.NewReader(tc.in), tc.limit)
			if tc.tooLong {
				require.ErrorIs(t, err, ErrTooLarge)
				assert.Nil(t, got)
				assert.Contains(t, err.Error(), "at most")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.in, string(got))
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestReadAllPassesReadErrors(t *testing.T) {
	_, err := ReadAll(failingReader{}, 10)
	require.EqualError(t, err, "boom")
	assert.False(t, errors.Is(err, ErrTooLarge))
}
