package quote_test

import (
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// BenchmarkParse parses a real 5 KB v4 quote (with its 3-certificate PEM
// chain left undecoded, as Parse does).
func BenchmarkParse(b *testing.B) {
	raw := testdata.RawQuote[:goTDXGuestQuoteLen]
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := quote.Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseHex decodes and parses the same quote from hex text, as
// the attestation endpoint delivers it.
func BenchmarkParseHex(b *testing.B) {
	q, err := quote.Parse(testdata.RawQuote[:goTDXGuestQuoteLen])
	if err != nil {
		b.Fatal(err)
	}
	text := hexString(q.Raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := quote.ParseHex(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal serializes a parsed quote.
func BenchmarkMarshal(b *testing.B) {
	q, err := quote.Parse(testdata.RawQuote[:goTDXGuestQuoteLen])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPCKChain decodes the PEM chain into certificates.
func BenchmarkPCKChain(b *testing.B) {
	q, err := quote.Parse(testdata.RawQuote[:goTDXGuestQuoteLen])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.PCKChain(); err != nil {
			b.Fatal(err)
		}
	}
}
