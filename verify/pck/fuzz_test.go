package pck_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/cvmgate/cvmgate/verify/pck"
)

// FuzzParseExtensions feeds arbitrary bytes to the SGX extension parser as
// the extension's value. It must never panic, must fail only with an
// *ExtensionError, and whatever parses must re-encode to a value that
// parses to the same result.
func FuzzParseExtensions(f *testing.F) {
	leaf := pckLeaf(f, testdata.RawQuote[:4935])
	f.Add(sgxExtension(f, leaf))
	for _, e := range []*pck.Extensions{sample(), {PPID: make([]byte, 16)}} {
		ext, err := e.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ext.Value)
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, value []byte) {
		e, err := pck.ParseExtensions(withValue(value))
		if err != nil {
			var ee *pck.ExtensionError
			if e != nil || !errors.As(err, &ee) {
				t.Fatalf("unexpected result %v, %v", e, err)
			}
			return
		}
		ext, err := e.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed extension: %v", err)
		}
		again, err := pck.ParseExtensions(withValue(ext.Value))
		if err != nil {
			t.Fatalf("Parse of a re-marshalled extension: %v", err)
		}
		if !reflect.DeepEqual(e, again) {
			t.Fatalf("re-marshalled extension parses differently: %+v != %+v", e, again)
		}
	})
}
