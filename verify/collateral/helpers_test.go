package collateral

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"
	"github.com/stretchr/testify/require"
)

// signedValue extracts the raw value of key from an Intel PCS response body
// such as {"tcbInfo":{...},"signature":"..."}.
func signedValue(t testing.TB, body []byte, key string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	require.Contains(t, m, key)
	return m[key]
}

// realTCBInfo is the raw tcbInfo value of go-tdx-guest's embedded 2023
// SPR collateral, always available as a module dependency.
func realTCBInfo(t testing.TB) []byte {
	return signedValue(t, testdata.TcbInfoBody, "tcbInfo")
}

// realQEIdentity is the raw enclaveIdentity value of go-tdx-guest's
// embedded collateral.
func realQEIdentity(t testing.TB) []byte {
	return signedValue(t, testdata.QeIdentityBody, "enclaveIdentity")
}

// mutate decodes a JSON object, lets edit change it and encodes it again.
func mutate(t testing.TB, raw []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	edit(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// testPKI is a throwaway CA that signs CRLs; nothing in this package checks
// signatures, so one key serves for everything.
type testPKI struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pem  []byte
}

// newTestPKI creates a self-signed P-256 CA.
func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test SGX Root CA"},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Unix(1<<33, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testPKI{key: key, cert: cert, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// crl issues a DER CRL valid from this to next.
func (p *testPKI) crl(t testing.TB, this, next time.Time) []byte {
	t.Helper()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:     big.NewInt(1),
		ThisUpdate: this,
		NextUpdate: next,
	}, p.cert, p.key)
	require.NoError(t, err)
	return der
}

// dates sets the validity window of each item of a test collateral.
type dates struct {
	tcbIssue, tcbNext  time.Time
	qeIssue, qeNext    time.Time
	pckThis, pckNext   time.Time
	rootThis, rootNext time.Time
}

// uniform gives every item the window [issue, next).
func uniform(issue, next time.Time) dates {
	return dates{issue, next, issue, next, issue, next, issue, next}
}

// tcbInfoJSON builds a well-formed TDX TCB info value.
func tcbInfoJSON(t testing.TB, issue, next time.Time) []byte {
	t.Helper()
	comps := func(svn uint8) []TCBComponent {
		c := make([]TCBComponent, numTCBComponents)
		for i := range c {
			c[i].SVN = svn
		}
		return c
	}
	info := TCBInfo{
		ID: "TDX", Version: 3, IssueDate: issue, NextUpdate: next,
		FMSPC: HexBytes{0xb0, 0xc0, 0x6f, 0, 0, 0}, PCEID: HexBytes{0, 0},
		TCBEvaluationDataNumber: 17,
		TDXModule: &TDXModule{
			MRSigner: make(HexBytes, seamMRSignerSize), Attributes: make(HexBytes, seamAttributesSize),
			AttributesMask: HexBytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		},
		TCBLevels: []TCBLevel{{
			TCB:     TCBComponents{SGXComponents: comps(2), PCESVN: 11, TDXComponents: comps(1)},
			TCBDate: issue.Add(-24 * time.Hour), TCBStatus: "UpToDate",
		}},
	}
	out, err := json.Marshal(info)
	require.NoError(t, err)
	return out
}

// qeIdentityJSON builds a well-formed TD_QE identity value.
func qeIdentityJSON(t testing.TB, issue, next time.Time) []byte {
	t.Helper()
	qe := QEIdentity{
		ID: "TD_QE", Version: 2, IssueDate: issue, NextUpdate: next,
		MiscSelect: make(HexBytes, miscSelectSize), MiscSelectMask: HexBytes{0xff, 0xff, 0xff, 0xff},
		Attributes: make(HexBytes, qeAttributesSize), AttributesMask: make(HexBytes, qeAttributesSize),
		MRSigner: make(HexBytes, qeMRSignerSize), ISVProdID: 2,
		TCBLevels: []ISVTCBLevel{{TCB: ISVSVN{ISVSVN: 4}, TCBDate: issue, TCBStatus: "UpToDate"}},
	}
	out, err := json.Marshal(qe)
	require.NoError(t, err)
	return out
}

// makeCollateral builds well-formed (not genuinely signed) collateral with
// the given validity windows.
func (p *testPKI) makeCollateral(t testing.TB, d dates) *Collateral {
	t.Helper()
	sig := func(b byte) []byte { return []byte(strings.Repeat(string(rune(b)), signatureSize)) }
	return &Collateral{
		TCBInfo:               tcbInfoJSON(t, d.tcbIssue, d.tcbNext),
		TCBInfoSignature:      sig('t'),
		TCBInfoIssuerChain:    p.pem,
		QEIdentity:            qeIdentityJSON(t, d.qeIssue, d.qeNext),
		QEIdentitySignature:   sig('q'),
		QEIdentityIssuerChain: p.pem,
		PCKCRL:                p.crl(t, d.pckThis, d.pckNext),
		PCKCRLIssuerChain:     p.pem,
		RootCACRL:             p.crl(t, d.rootThis, d.rootNext),
	}
}
