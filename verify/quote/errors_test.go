package quote_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// errorField returns the Field of the *FormatError or *UnsupportedError
// in err's chain, or "".
func errorField(err error) string {
	var fe *quote.FormatError
	if errors.As(err, &fe) {
		return fe.Field
	}
	var ue *quote.UnsupportedError
	if errors.As(err, &ue) {
		return ue.Field
	}
	return ""
}

func TestErrorMessagesAndMatching(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		name      string
		err       error
		msg       string
		sentinel  error
		notTarget error
	}{
		{
			name:      "format",
			err:       &quote.FormatError{Field: "body size", Offset: 50, Expected: "584", Found: "585"},
			msg:       "quote: malformed body size at offset 50: expected 584, found 585",
			sentinel:  quote.ErrMalformed,
			notTarget: quote.ErrUnsupported,
		},
		{
			name:      "format without offset, with cause",
			err:       &quote.FormatError{Field: "hex", Offset: -1, Expected: "x", Found: "y", Err: cause},
			msg:       "quote: malformed hex: expected x, found y: cause",
			sentinel:  cause,
			notTarget: quote.ErrUnsupported,
		},
		{
			name:      "unsupported",
			err:       &quote.UnsupportedError{Field: "version", Expected: "4 or 5", Found: "3"},
			msg:       "quote: unsupported version: expected 4 or 5, found 3",
			sentinel:  quote.ErrUnsupported,
			notTarget: quote.ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.EqualError(t, tt.err, tt.msg)
			wrapped := errors.Join(errors.New("context"), tt.err)
			assert.ErrorIs(t, wrapped, tt.sentinel)
			assert.NotErrorIs(t, wrapped, tt.notTarget)
		})
	}
	assert.ErrorIs(t, &quote.FormatError{Err: cause}, quote.ErrMalformed)
}
