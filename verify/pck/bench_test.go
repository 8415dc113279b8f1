package pck_test

import (
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/cvmgate/cvmgate/verify/pck"
)

// BenchmarkParseExtensions decodes the SGX extension of a real PCK leaf.
func BenchmarkParseExtensions(b *testing.B) {
	leaf := pckLeaf(b, testdata.RawQuote[:4935])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pck.ParseExtensions(leaf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal encodes a full extension, as cvmtest does per leaf.
func BenchmarkMarshal(b *testing.B) {
	e := sample()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
