package collateral

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
)

func TestNextUpdateAndIssueDate(t *testing.T) {
	p := newTestPKI(t)
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name      string
		d         dates
		wantIssue time.Time
		wantNext  time.Time
	}{
		{
			name:      "tcb info expires first",
			d:         dates{base, base.Add(5 * day), base, base.Add(30 * day), base, base.Add(30 * day), base, base.Add(300 * day)},
			wantIssue: base, wantNext: base.Add(5 * day),
		},
		{
			name:      "qe identity expires first, issued last",
			d:         dates{base, base.Add(30 * day), base.Add(2 * day), base.Add(4 * day), base, base.Add(30 * day), base, base.Add(300 * day)},
			wantIssue: base.Add(2 * day), wantNext: base.Add(4 * day),
		},
		{
			name:      "pck crl expires first",
			d:         dates{base, base.Add(30 * day), base, base.Add(30 * day), base.Add(day), base.Add(3 * day), base, base.Add(300 * day)},
			wantIssue: base.Add(day), wantNext: base.Add(3 * day),
		},
		{
			name:      "root crl expires first",
			d:         dates{base, base.Add(30 * day), base, base.Add(30 * day), base, base.Add(30 * day), base.Add(3 * day), base.Add(7 * day)},
			wantIssue: base.Add(3 * day), wantNext: base.Add(7 * day),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := p.makeCollateral(t, tt.d)
			next, err := c.NextUpdate()
			require.NoError(t, err)
			assert.True(t, tt.wantNext.Equal(next), "next update: want %v, got %v", tt.wantNext, next)
			issue, err := c.IssueDate()
			require.NoError(t, err)
			assert.True(t, tt.wantIssue.Equal(issue), "issue date: want %v, got %v", tt.wantIssue, issue)
		})
	}
}

func TestNextUpdateRealVector(t *testing.T) {
	c, err := ParseBundle(testvectors.Read(t, vectorBundle))
	require.NoError(t, err)
	next, err := c.NextUpdate()
	require.NoError(t, err)
	// The PCK CRL (2025-07-19T10:00:35Z) expires before the TCB info
	// (10:16:03Z) and the QE identity (10:32:27Z).
	assert.Equal(t, time.Date(2025, 7, 19, 10, 0, 35, 0, time.UTC), next.UTC())
	issue, err := c.IssueDate()
	require.NoError(t, err)
	assert.Equal(t, time.Date(2025, 6, 19, 10, 32, 27, 0, time.UTC), issue.UTC())
	// The dcap-qvl vector verifies at this time, inside the window.
	at := time.Unix(1752919234, 0)
	assert.True(t, !at.Before(issue) && at.Before(next))
}

func TestNextUpdateErrors(t *testing.T) {
	p := newTestPKI(t)
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	good := p.makeCollateral(t, uniform(base, base.Add(time.Hour)))
	tests := []struct {
		name      string
		edit      func(c *Collateral)
		wantItem  string
		wantField string
	}{
		{"bad tcb info", func(c *Collateral) { c.TCBInfo = []byte("{}") }, itemTCBInfo, "id"},
		{"bad qe identity", func(c *Collateral) { c.QEIdentity = nil }, itemQEIdentity, ""},
		{"bad pck crl", func(c *Collateral) { c.PCKCRL = []byte{0x30, 0x00} }, itemPCKCRL, ""},
		{"root crl without nextUpdate", func(c *Collateral) { c.RootCACRL = crlWithoutNextUpdate(t, base) }, itemRootCACRL, "nextUpdate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *good
			tt.edit(&c)
			_, err := c.NextUpdate()
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantItem, fe.Item)
			assert.Equal(t, tt.wantField, fe.Field, "error: %v", err)
			_, err = c.IssueDate()
			assert.ErrorIs(t, err, ErrMalformed)
		})
	}
	var nilC *Collateral
	_, err := nilC.NextUpdate()
	assert.ErrorIs(t, err, ErrMalformed)
}

// crlWithoutNextUpdate builds a DER CRL that omits the optional nextUpdate,
// which crypto/x509 refuses to create. Its signature is garbage: nothing
// here checks it.
func crlWithoutNextUpdate(t *testing.T, this time.Time) []byte {
	t.Helper()
	ecdsaSHA256 := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	der, err := asn1.Marshal(pkix.CertificateList{
		//lint:ignore SA1019 only these deprecated ASN.1 types can build a CRL that x509.CreateRevocationList refuses.
		TBSCertList: pkix.TBSCertificateList{
			Version:    1,
			Signature:  ecdsaSHA256,
			Issuer:     pkix.Name{CommonName: "Test SGX Root CA"}.ToRDNSequence(),
			ThisUpdate: this,
		},
		SignatureAlgorithm: ecdsaSHA256,
		SignatureValue:     asn1.BitString{Bytes: []byte{0x30, 0x00}, BitLength: 16},
	})
	require.NoError(t, err)
	return der
}
