package collateral

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"
)

// FuzzParseSigned checks the parser of PCS answers such as
// {"tcbInfo":{...},"signature":"..."}: no panic, typed errors, and an
// accepted value is a byte-exact substring of the body.
func FuzzParseSigned(f *testing.F) {
	f.Add(testdata.TcbInfoBody, true)
	f.Add(testdata.QeIdentityBody, false)
	f.Add([]byte(`{"tcbInfo":null}`), true)
	f.Fuzz(func(t *testing.T, body []byte, tcb bool) {
		item, key := itemQEIdentity, "enclaveIdentity"
		if tcb {
			item, key = itemTCBInfo, "tcbInfo"
		}
		value, sig, _, err := parseSigned(item, key, body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		if len(sig) != signatureSize {
			t.Fatalf("accepted a %d-byte signature", len(sig))
		}
		if !bytes.Contains(body, value) {
			t.Fatalf("signed value is not the bytes served")
		}
	})
}

// FuzzDecodeCRLBody checks the DER/PEM/hex CRL body decoder.
func FuzzDecodeCRLBody(f *testing.F) {
	f.Add(testdata.RootCrlBody)
	f.Add([]byte(hex.EncodeToString(testdata.RootCrlBody)))
	f.Add([]byte("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		der, _, err := decodeCRLBody(itemRootCACRL, body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		if _, err := parseCRL(itemRootCACRL, der); err != nil {
			t.Fatalf("accepted body does not parse as a CRL: %v", err)
		}
	})
}

// FuzzIssuerChainHeader checks the URL-escaped PEM chain header parser.
func FuzzIssuerChainHeader(f *testing.F) {
	chain := string(newTestPKI(f).pem)
	f.Add(url.PathEscape(chain))
	f.Add(url.QueryEscape(chain))
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set(headerPCKCRLChain, v)
		out, err := issuerChain(itemPCKCRL, h, headerPCKCRLChain)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		if _, err := parseChain(itemPCKCRL, "", out); err != nil {
			t.Fatalf("accepted chain does not parse: %v", err)
		}
	})
}

// FuzzHexBytes checks that HexBytes decoding never panics and that what it
// accepts re-encodes to the same bytes.
func FuzzHexBytes(f *testing.F) {
	f.Add([]byte(`"B0C06F"`))
	f.Add([]byte(`"\u0041b"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h HexBytes
		if err := h.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := h.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back HexBytes
		if err := back.UnmarshalJSON(out); err != nil || !bytes.Equal(back, h) {
			t.Fatalf("round trip of %q failed: %q, %v", data, out, err)
		}
	})
}
