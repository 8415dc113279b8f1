package quote_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// hexString returns b as lower-case hex.
func hexString(b []byte) string { return hex.EncodeToString(b) }

func ExampleParse() {
	// A real quote from an Intel Sapphire Rapids TD (go-tdx-guest's test
	// vector, cut before its non-zero test trailer).
	q, err := quote.Parse(testdata.RawQuote[:4935])
	if err != nil {
		fmt.Println(err)
		return
	}
	chain, err := q.PCKChain()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("version:", q.Header.Version)
	fmt.Println("MRTD:", hex.EncodeToString(q.Body.MRTD[:8]))
	fmt.Println("debug:", q.Body.Debug())
	fmt.Println("PCK leaf:", chain[0].Subject.CommonName)
	// Output:
	// version: 4
	// MRTD: 6363b8043668a3ad
	// debug: false
	// PCK leaf: Intel SGX PCK Certificate
}

func ExampleDecode() {
	// Quotes arrive as hex (with or without 0x) or raw bytes; Decode
	// accepts both.
	raw, err := quote.Decode([]byte("0x04000200 81000000"))
	fmt.Println(raw, err)
	_, err = quote.Parse(raw)
	fmt.Println(errors.Is(err, quote.ErrMalformed))
	// Output:
	// [4 0 2 0 129 0 0 0] <nil>
	// true
}

func ExampleParse_unsupported() {
	q, _ := quote.Parse(testdata.RawQuote[:4935])
	q.Header.Version = 3
	b, err := q.Marshal()
	fmt.Println(b == nil, err)

	q.Header = quote.Header{Version: 4, AttestationKeyType: 3, TEEType: quote.TEETypeTDX, QEVendorID: quote.IntelQEVendorID}
	b, _ = q.Marshal()
	_, err = quote.Parse(b)
	var ue *quote.UnsupportedError
	fmt.Println(errors.As(err, &ue), ue.Field)
	// Output:
	// true quote: unsupported version: expected 4 or 5, found 3
	// true attestation key type
}
