package quote_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// tinyPEM is the shortest CERTIFICATE block: an empty DER sequence, which
// PCKChain refuses as a certificate.
const tinyPEM = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"

// fuzzSeeds returns the smallest quotes of each version and body type, and
// one with what real quotes add: QE auth data, a NUL after the PCK chain
// and zero padding after the quote.
//
// They are small on purpose. The fuzzer minimizes every input that finds
// new coverage, in time that grows with the square of its length, for up
// to a minute by default; with real quotes of 5 KB as seeds it does little
// else, and even a quote with a real certificate (1.8 KB) costs it most of
// that minute. TestParseRealVectors checks the same properties on real
// quotes.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, c := range syntheticCases {
		q := syntheticQuote(tb, c.version, c.bodyType)
		q.QEAuthData, q.PCKChainPEM = nil, []byte(tinyPEM)
		b, err := q.Marshal()
		require.NoError(tb, err)
		seeds = append(seeds, b)
	}
	q := syntheticQuote(tb, quote.Version4, quote.BodyTypeTD10)
	q.PCKChainPEM = []byte(tinyPEM + "\x00")
	b, err := q.Marshal()
	require.NoError(tb, err)
	return append(seeds, append(b, make([]byte, 8)...))
}

// TestFuzzSeedsParse keeps the seeds of FuzzParse quotes that parse, so
// that fuzzing starts from inputs that get through the parser.
func TestFuzzSeedsParse(t *testing.T) {
	for i, b := range fuzzSeeds(t) {
		q, err := quote.Parse(b)
		require.NoError(t, err, "seed %d", i)
		assert.Equal(t, tinyPEM, string(q.PCKChainPEM), "seed %d", i)
	}
}

// FuzzParse checks that Parse never panics, that every failure is either
// malformed or unsupported, and that whatever parses re-encodes to a quote
// that parses to the same value.
func FuzzParse(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
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
