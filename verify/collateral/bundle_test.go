package collateral

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/internal/testvectors"
)

const vectorBundle = "dcap-qvl/tdx_quote_collateral.json"

func TestBundleRoundTripRealVector(t *testing.T) {
	raw := testvectors.Read(t, vectorBundle)
	var want map[string]string
	require.NoError(t, json.Unmarshal(raw, &want))

	c, err := ParseBundle(raw)
	require.NoError(t, err)
	// The signed values are kept byte for byte.
	assert.Equal(t, want["tcb_info"], string(c.TCBInfo))
	assert.Equal(t, want["qe_identity"], string(c.QEIdentity))
	assert.Equal(t, want["tcb_info_signature"], hex.EncodeToString(c.TCBInfoSignature))
	assert.Equal(t, want["qe_identity_signature"], hex.EncodeToString(c.QEIdentitySignature))
	assert.Equal(t, want["pck_crl"], hex.EncodeToString(c.PCKCRL))
	assert.Equal(t, want["root_ca_crl"], hex.EncodeToString(c.RootCACRL))
	assert.Equal(t, want["tcb_info_issuer_chain"], string(c.TCBInfoIssuerChain))

	out, err := c.MarshalBundle()
	require.NoError(t, err)
	// dcap-qvl's sample is two-space indented with lower-case hex, which
	// is exactly what MarshalBundle writes: the whole file round-trips.
	assert.Equal(t, string(raw), string(out))

	again, err := ParseBundle(out)
	require.NoError(t, err)
	assert.Equal(t, c, again)
}

func TestBundleRoundTripGenerated(t *testing.T) {
	p := newTestPKI(t)
	issue := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	c := p.makeCollateral(t, uniform(issue, issue.Add(30*24*time.Hour)))
	// Characters encoding/json would escape as HTML must survive as they are.
	c.TCBInfo = mutate(t, c.TCBInfo, func(m map[string]any) { m["note"] = "<a&b>" })
	c.TCBInfo = bytes.ReplaceAll(c.TCBInfo, []byte(`\u003c`), []byte("<"))
	c.TCBInfo = bytes.ReplaceAll(c.TCBInfo, []byte(`\u003e`), []byte(">"))
	c.TCBInfo = bytes.ReplaceAll(c.TCBInfo, []byte(`\u0026`), []byte("&"))
	require.Contains(t, string(c.TCBInfo), "<a&b>")

	out, err := c.MarshalBundle()
	require.NoError(t, err)
	back, err := ParseBundle(out)
	require.NoError(t, err)
	assert.Equal(t, c, back)
}

func TestParseBundleByteArrays(t *testing.T) {
	raw := testvectors.Read(t, vectorBundle)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	want, err := ParseBundle(raw)
	require.NoError(t, err)

	// serde writes Vec<u8> as an array of numbers; accept that too, and an
	// unknown key such as newer dcap-qvl's pck_certificate_chain.
	sig := make([]any, len(want.TCBInfoSignature))
	for i, b := range want.TCBInfoSignature {
		sig[i] = int(b)
	}
	m["tcb_info_signature"] = sig
	m["pck_certificate_chain"] = "-----BEGIN CERTIFICATE-----\n..."
	alt, err := json.Marshal(m)
	require.NoError(t, err)
	got, err := ParseBundle(alt)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestParseBundleErrors(t *testing.T) {
	p := newTestPKI(t)
	issue := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	good, err := p.makeCollateral(t, uniform(issue, issue.Add(time.Hour))).MarshalBundle()
	require.NoError(t, err)

	edit := func(f func(m map[string]any)) []byte { return mutate(t, good, f) }
	tests := []struct {
		name      string
		raw       []byte
		wantItem  string
		wantField string
	}{
		{name: "missing tcb_info", raw: edit(func(m map[string]any) { delete(m, "tcb_info") }), wantItem: itemBundle, wantField: "tcb_info"},
		{name: "missing root_ca_crl", raw: edit(func(m map[string]any) { delete(m, "root_ca_crl") }), wantItem: itemBundle, wantField: "root_ca_crl"},
		{name: "missing qe_identity_signature", raw: edit(func(m map[string]any) { delete(m, "qe_identity_signature") }), wantItem: itemBundle, wantField: "qe_identity_signature"},
		{name: "null pck_crl", raw: edit(func(m map[string]any) { m["pck_crl"] = nil }), wantItem: itemBundle, wantField: "pck_crl"},
		{name: "empty chain", raw: edit(func(m map[string]any) { m["pck_crl_issuer_chain"] = "" }), wantItem: itemBundle, wantField: "pck_crl_issuer_chain"},
		{name: "tcb_info as object", raw: edit(func(m map[string]any) { m["tcb_info"] = map[string]any{"id": "TDX"} }), wantItem: itemBundle, wantField: "tcb_info"},
		{name: "bad hex", raw: edit(func(m map[string]any) { m["pck_crl"] = "3082zz" }), wantItem: itemBundle, wantField: "pck_crl"},
		{name: "empty hex", raw: edit(func(m map[string]any) { m["root_ca_crl"] = "" }), wantItem: itemBundle, wantField: "root_ca_crl"},
		{name: "byte over 255", raw: edit(func(m map[string]any) { m["tcb_info_signature"] = []any{1, 256} }), wantItem: itemBundle, wantField: "tcb_info_signature[1]"},
		{name: "bytes as number", raw: edit(func(m map[string]any) { m["tcb_info_signature"] = 7 }), wantItem: itemBundle, wantField: "tcb_info_signature"},
		{name: "short signature", raw: edit(func(m map[string]any) { m["qe_identity_signature"] = "abcd" }), wantItem: itemQEIdentity, wantField: "signature"},
		{name: "garbled chain", raw: edit(func(m map[string]any) { m["tcb_info_issuer_chain"] = "not pem" }), wantItem: itemTCBInfo, wantField: "issuer chain"},
		{name: "chain with a key", raw: edit(func(m map[string]any) {
			m["qe_identity_issuer_chain"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}), wantItem: itemQEIdentity, wantField: "issuer chain"},
		{name: "crl not der", raw: edit(func(m map[string]any) { m["pck_crl"] = "3000" }), wantItem: itemPCKCRL},
		{name: "tcb info not json", raw: edit(func(m map[string]any) { m["tcb_info"] = "{" }), wantItem: itemTCBInfo},
		{name: "qe identity missing field", raw: edit(func(m map[string]any) {
			m["qe_identity"] = string(mutate(t, []byte(m["qe_identity"].(string)), func(q map[string]any) { delete(q, "mrsigner") }))
		}), wantItem: itemQEIdentity, wantField: "mrsigner"},
		{name: "array", raw: []byte(`[]`), wantItem: itemBundle},
		{name: "null", raw: []byte(`null`), wantItem: itemBundle},
		{name: "truncated", raw: good[:len(good)/2], wantItem: itemBundle},
		{name: "too large", raw: append(bytes.Repeat([]byte(" "), MaxBundleSize), good...), wantItem: itemBundle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseBundle(tt.raw)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, ErrMalformed)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantItem, fe.Item, "error: %v", err)
			if tt.wantField != "" {
				assert.Equal(t, tt.wantField, fe.Field, "error: %v", err)
			}
		})
	}
}

func TestParseBundleTooLargeMatchesErrTooLarge(t *testing.T) {
	_, err := ParseBundle(make([]byte, MaxBundleSize+1))
	assert.ErrorIs(t, err, limits.ErrTooLarge)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.EqualError(t, err, "collateral: malformed bundle: too large: expected at most 1048576 bytes, found 1048577")
}

func TestMarshalBundleRefusesBadCollateral(t *testing.T) {
	p := newTestPKI(t)
	issue := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	c := p.makeCollateral(t, uniform(issue, issue.Add(time.Hour)))

	invalidUTF8 := *c
	invalidUTF8.QEIdentity = append(bytes.TrimSuffix(append([]byte{}, c.QEIdentity...), []byte("}")), []byte(`,"x":"`+"\xff"+`"}`)...)
	_, err := invalidUTF8.MarshalBundle()
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "UTF-8")

	noCRL := *c
	noCRL.RootCACRL = nil
	_, err = noCRL.MarshalBundle()
	assert.ErrorIs(t, err, ErrMalformed)

	var nilC *Collateral
	_, err = nilC.MarshalBundle()
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestStatic(t *testing.T) {
	p := newTestPKI(t)
	issue := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	c := p.makeCollateral(t, uniform(issue, issue.Add(time.Hour)))
	src := Static(c, "bundle:test.json")
	assert.Equal(t, "bundle:test.json", src.ID())

	for _, req := range []Request{{FMSPC: "B0C06F000000", CA: CAPlatform}, {FMSPC: "00606A000000", CA: CAProcessor}, {}} {
		got, err := src.Fetch(context.Background(), req)
		require.NoError(t, err)
		assert.Same(t, c, got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := src.Fetch(ctx, Request{})
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ErrUnavailable)

	_, err = Static(nil, "empty").Fetch(context.Background(), Request{})
	assert.ErrorIs(t, err, ErrUnavailable)
}

// FuzzParseBundle checks that no input makes ParseBundle panic, that its
// errors are typed, and that whatever it accepts marshals and parses back
// to the same collateral.
func FuzzParseBundle(f *testing.F) {
	p := newTestPKI(f)
	issue := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	good, err := p.makeCollateral(f, uniform(issue, issue.Add(time.Hour))).MarshalBundle()
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"pck_crl":[48,0],"root_ca_crl":"30"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(strings.Replace(string(good), `"tcb_info_signature": "`, `"tcb_info_signature": "zz`, 1)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseBundle(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted collateral fails Validate: %v", err)
		}
		out, err := c.MarshalBundle()
		if err != nil {
			t.Fatalf("accepted collateral does not marshal: %v", err)
		}
		back, err := ParseBundle(out)
		if err != nil {
			t.Fatalf("marshaled bundle does not parse: %v", err)
		}
		if !bytes.Equal(back.TCBInfo, c.TCBInfo) || !bytes.Equal(back.QEIdentity, c.QEIdentity) {
			t.Fatalf("signed values changed in a round trip")
		}
	})
}
