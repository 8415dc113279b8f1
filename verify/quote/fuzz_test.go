package quote_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// FuzzParse checks that Parse never panics, that every failure is either
// malformed or unsupported, and that whatever parses re-encodes to a quote
// that parses to the same value.
func FuzzParse(f *testing.F) {
	for _, c := range syntheticCases {
		f.Add(marshalled(f, c.version, c.bodyType))
	}
	f.Add(testdata.RawQuote)
	if _, err := testvectors.Find(); err == nil {
		for _, name := range []string{"dcap-qvl/tdx_quote", "dstack/quote-report.json", "dstack/tdx-lite-getquote.json"} {
			f.Add(testvectors.Quote(f, name))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := quote.Parse(b)
		if err != nil {
			if q != nil {
				t.Fatal("non-nil quote with an error")
			}
			if errors.Is(err, quote.ErrMalformed) == errors.Is(err, quote.ErrUnsupported) {
				t.Fatalf("error is not exactly one of malformed or unsupported: %v", err)
			}
			return
		}
		if !bytes.HasPrefix(b, q.Raw) || !bytes.HasPrefix(q.Raw, q.SignedData) {
			t.Fatal("Raw or SignedData is not a prefix of the input")
		}
		if !bytes.Equal(q.SignedData, q.MarshalSignedData()) {
			t.Fatal("MarshalSignedData differs from the parsed signed data")
		}
		_, _ = q.PCKChain()
		again, err := q.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed quote: %v", err)
		}
		q2, err := quote.Parse(again)
		if err != nil {
			t.Fatalf("Parse of a re-marshalled quote: %v", err)
		}
		if !reflect.DeepEqual(stripDerived(q), stripDerived(q2)) {
			t.Fatal("re-marshalled quote parses differently")
		}
	})
}

// FuzzDecode checks that Decode never panics and that hex it accepts
// decodes to at most half its length.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("0x0400"))
	f.Add([]byte(" 04 00\n"))
	f.Add([]byte{4, 0, 2, 0})
	f.Add([]byte("0x0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := quote.Decode(b)
		if err != nil {
			if !errors.Is(err, quote.ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		if !bytes.Equal(out, b) && len(out) > len(b)/2 {
			t.Fatalf("decoded %d bytes from %d", len(out), len(b))
		}
	})
}
