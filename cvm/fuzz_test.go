package cvm

import (
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/cvmgate/cvmgate/wire"
)

// FuzzParseTLSKey checks that any GetTlsKey answer is read without panic,
// and that an accepted one pairs a key with its leaf.
func FuzzParseTLSKey(f *testing.F) {
	f.Add([]byte(`{"key":"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n","certificate_chain":["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"]}`))
	f.Add([]byte(`{"key":"","certificate_chain":[]}`))
	f.Add([]byte(`{"key":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cert, err := parseTLSKey(body)
		if err != nil {
			return
		}
		if cert.Leaf == nil || len(cert.Certificate) == 0 || cert.PrivateKey == nil {
			t.Fatalf("accepted an answer without leaf or key: %s", body)
		}
	})
}

// FuzzParseNonce checks that the attestation query is accepted exactly
// when it holds one reportData of 64 hex characters, and never panics.
func FuzzParseNonce(f *testing.F) {
	f.Add(wire.ReportDataParam + "=" + strings.Repeat("ab", wire.NonceSize))
	f.Add(wire.ReportDataParam + "=0x" + strings.Repeat("ab", wire.NonceSize-1))
	f.Add("a=1&" + wire.ReportDataParam + "=%41%42")
	f.Add(";;&&==")
	f.Fuzz(func(t *testing.T, query string) {
		nonce, msg := parseNonce(query)
		if msg != "" {
			return
		}
		q, err := url.ParseQuery(query)
		if err != nil || len(q[wire.ReportDataParam]) != 1 {
			t.Fatalf("accepted %q", query)
		}
		if got := q[wire.ReportDataParam][0]; !strings.EqualFold(got, hex.EncodeToString(nonce[:])) {
			t.Fatalf("nonce %x from %q", nonce, got)
		}
	})
}
