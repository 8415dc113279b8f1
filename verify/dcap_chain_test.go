package verify

import (
	"bytes"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitPEMChain(t *testing.T) {
	t.Parallel()
	block := func(typ string, b ...byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}))
	}
	withHeader := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"A": "b"}, Bytes: []byte{1}}))
	cases := []struct {
		name string
		in   string
		want [][]byte
	}{
		{"one", block("CERTIFICATE", 1, 2), [][]byte{{1, 2}}},
		{"two with whitespace", "\n " + block("CERTIFICATE", 1) + "\r\n\t" + block("CERTIFICATE", 2) + "\n\n", [][]byte{{1}, {2}}},
		{"empty", "", nil},
		{"only whitespace", " \n", nil},
		{"text before", "x" + block("CERTIFICATE", 1), nil},
		{"text between", block("CERTIFICATE", 1) + "junk" + block("CERTIFICATE", 2), nil},
		{"text after", block("CERTIFICATE", 1) + "junk", nil},
		{"other type", block("PRIVATE KEY", 1), nil},
		{"headers", withHeader, nil},
		{"broken block hiding a later one", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n" + block("CERTIFICATE", 2), nil},
		{"unterminated", "-----BEGIN CERTIFICATE-----\nAQ==\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitPEMChain([]byte(tc.in))
			if tc.want == nil {
				require.Error(t, err)
				assert.True(t, errors.Is(err, errChainFormat))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// FuzzSplitPEMChain checks that splitting never panics and that what it
// accepts re-encodes to the same certificates.
func FuzzSplitPEMChain(f *testing.F) {
	f.Add([]byte(intelSGXRootCAPEM))
	f.Add([]byte(intelSGXRootCAPEM + "\n" + intelSGXRootCAPEM))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ders, err := splitPEMChain(data)
		if err != nil {
			if !errors.Is(err, errChainFormat) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(ders) == 0 {
			t.Fatal("no certificates and no error")
		}
		var again []byte
		for _, d := range ders {
			again = append(again, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
		}
		ders2, err := splitPEMChain(again)
		if err != nil || len(ders2) != len(ders) {
			t.Fatalf("re-encoded chain does not split the same: %v", err)
		}
		for i := range ders {
			if !bytes.Equal(ders[i], ders2[i]) {
				t.Fatalf("certificate %d differs after re-encoding", i)
			}
		}
	})
}
