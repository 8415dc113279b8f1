package quote_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/verify/quote"
)

func TestTDAttributes(t *testing.T) {
	tests := []struct {
		name          string
		attributes    [8]byte
		debug, septve bool
	}{
		{"none", [8]byte{}, false, false},
		{"debug", [8]byte{0x01}, true, false},
		{"sept_ve_disable (dstack)", [8]byte{0, 0, 0, 0x10}, false, true},
		{"both", [8]byte{0x01, 0, 0, 0x10}, true, true},
		{"all other bits", [8]byte{0xfe, 0xff, 0xff, 0xef, 0xff, 0xff, 0xff, 0xff}, false, false},
		{"PKS (bit 30, go-tdx-guest vector)", [8]byte{0, 0, 0, 0x40}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := quote.Body{TDAttributes: tt.attributes}
			assert.Equal(t, tt.debug, b.Debug())
			assert.Equal(t, tt.septve, b.SEPTVEDisable())
		})
	}
}
