package quote_test

import (
	"bytes"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/quote"
)

func TestPCKChain(t *testing.T) {
	a, b := selfSignedPEM(t), selfSignedPEM(t)
	tests := []struct {
		name  string
		pem   []byte
		count int
	}{
		{"one", a, 1},
		{"two", concat(a, b), 2},
		{"whitespace around and between", concat([]byte("\n \t"), a, []byte("\r\n\n"), b, []byte("\n\n")), 2},
		{"no newline at the end", bytes.TrimRight(concat(a, b), "\n"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &quote.Quote{PCKChainPEM: tt.pem}
			certs, err := q.PCKChain()
			require.NoError(t, err)
			require.Len(t, certs, tt.count)
			first, _ := pem.Decode(a)
			assert.Equal(t, first.Bytes, certs[0].Raw, "leaf first, in order")
		})
	}
}

func TestPCKChainMalformed(t *testing.T) {
	a, b := selfSignedPEM(t), selfSignedPEM(t)
	block, _ := pem.Decode(a)
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	withHeaders := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: block.Bytes})
	badDER := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}})
	unterminated := bytes.TrimSuffix(a, []byte("-----END CERTIFICATE-----\n"))
	tests := []struct {
		name     string
		pem      []byte
		offset   int
		expected string
	}{
		{"empty", nil, 0, "at least one certificate"},
		{"whitespace only", []byte(" \n"), 0, "at least one certificate"},
		{"garbage before", concat([]byte("junk\n"), a), 0, "a PEM block or whitespace"},
		{"garbage between", concat(a, []byte("junk"), b), len(a), "a PEM block or whitespace"},
		{"garbage after", concat(a, []byte("\nextra bytes")), len(a) + 1, "a PEM block or whitespace"},
		{"NUL after", concat(a, []byte{0}), len(a), "a PEM block or whitespace"},
		{"private key block", concat(a, key), len(a), "a CERTIFICATE block"},
		{"headers", withHeaders, 0, "a PEM block without headers"},
		{"unparsable certificate", concat(a, badDER), len(a), "a DER X.509 certificate"},
		{"unterminated block", unterminated, 0, "a complete PEM block"},
		{"broken block hiding a later one", concat([]byte("-----BEGIN CERTIFICATE-----\n!!!\n"), a), 0, "a complete PEM block"},
		{"END of another type", concat(bytes.Replace(a, []byte("END CERTIFICATE"), []byte("END X"), 1), b), 0, "a complete PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &quote.Quote{PCKChainPEM: tt.pem}
			certs, err := q.PCKChain()
			require.ErrorIs(t, err, quote.ErrMalformed)
			assert.Nil(t, certs)
			var fe *quote.FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "PCK chain", fe.Field)
			assert.Equal(t, tt.offset, fe.Offset, err.Error())
			assert.Equal(t, tt.expected, fe.Expected, err.Error())
		})
	}
}

// concat joins byte slices into a new slice.
func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
