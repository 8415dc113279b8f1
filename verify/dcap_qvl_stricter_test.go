package verify_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// stricterHeading is the package doc section that lists where the verifier
// refuses what Intel's QVL accepts.
const stricterHeading = "# Stricter than Intel's QVL"

// stricterSection returns the text of the package doc's stricter-than-QVL
// section, which the package doc in verifier.go holds.
func stricterSection(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "verifier.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	require.NotNil(t, f.Doc, "verifier.go holds the package doc")
	doc := f.Doc.Text()
	_, section, ok := strings.Cut(doc, stricterHeading+"\n")
	require.True(t, ok, "the package doc has a %q section", stricterHeading)
	if end := strings.Index(section, "\n# "); end >= 0 {
		section = section[:end]
	}
	return strings.Join(strings.Fields(section), " ")
}

// TestQVLStricterCases checks each case where the verifier is stricter
// than Intel's QVL on purpose: the package doc lists it (under the lead
// phrase doc) and the verifier refuses it. Each case says what QVL does.
func TestQVLStricterCases(t *testing.T) {
	t.Parallel()
	hour := time.Hour
	sigDataLenOffset := quote.HeaderSize + quote.BodySizeTD10
	cases := []struct {
		doc string
		verifyCase
	}{
		// QVL: accepted, the trailing bytes unread.
		{"Bytes after the quote.", verifyCase{name: "a non-zero byte after the quote",
			raw: func(b []byte) []byte { return append(b, 0x01) }, kind: verify.KindMalformedQuote}},
		// QVL: accepted, the slack unread.
		{"Bytes after the quote.", verifyCase{name: "zero bytes inside the signature data",
			raw: func(b []byte) []byte {
				n := binary.LittleEndian.Uint32(b[sigDataLenOffset:])
				binary.LittleEndian.PutUint32(b[sigDataLenOffset:], n+4)
				return append(b, 0, 0, 0, 0)
			}, kind: verify.KindMalformedQuote}},
		// QVL: accepted, only report_data[0:32] compared.
		{"The upper half of the QE report data.", verifyCase{name: "a non-zero upper half of the QE report data",
			tamper: func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
				q.QEReport.ReportData[40] = 1
				return resign(t, p, q)
			}, kind: verify.KindQEReportBinding}},
		// QVL: accepted, the bundle chain unread; the CRL is the leaf CA's.
		{"A foreign PCK CRL issuer chain.", verifyCase{name: "PCK CRL issuer chain of a same-name CA",
			editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
				c.PCKCRLIssuerChain = sharedPKI(t, rekeyedCA).PCKCRLIssuerChainPEM
			}, kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)}},
		// QVL: accepted (qvl.md Q6c, the QvE only reads the chain's dates).
		{"A foreign PCK CRL issuer chain.", verifyCase{name: "PCK CRL issuer chain of the other PCK CA",
			editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
				c.PCKCRLIssuerChain = sharedPKI(t, cvmtest.PKIOptions{CA: collateral.CAProcessor}).PCKCRLIssuerChainPEM
			}, kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)}},
		// QVL: the QE is OutOfDate, the TD OutOfDate.
		{"Configuration statuses on QE identity levels.", verifyCase{name: "QE identity level ConfigurationNeeded",
			coll:   qeIdentity(func(id *collateral.QEIdentity) { id.TCBLevels[0].TCBStatus = "ConfigurationNeeded" }),
			accept: verify.Accept{Statuses: verify.Statuses()}, kind: verify.KindCollateralMismatch}},
		{"Configuration statuses on QE identity levels.", verifyCase{name: "QE identity level OutOfDateConfigurationNeeded",
			coll:   qeIdentity(func(id *collateral.QEIdentity) { id.TCBLevels[1].TCBStatus = "OutOfDateConfigurationNeeded" }),
			accept: verify.Accept{Statuses: verify.Statuses()}, kind: verify.KindCollateralMismatch}},
		// QVL: UpToDate; TDX_03 is not the quote's module.
		{"Unknown statuses on unused TDX module levels.", verifyCase{name: "TDX_03 level SWHardeningNeeded, TDX_01 running",
			coll: tcbInfo(func(i *collateral.TCBInfo) {
				for j := range i.TDXModuleIdentities {
					if i.TDXModuleIdentities[j].ID == "TDX_03" {
						i.TDXModuleIdentities[j].TCBLevels[0].TCBStatus = "SWHardeningNeeded"
					}
				}
			}), kind: verify.KindCollateralMismatch}},
		// QVL: the svn read as 264 & 0xFF = 8, UpToDate.
		{"Component SVNs over 255.", verifyCase{name: "SGX component svn 264",
			editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
				editJSON(t, p, &c.TCBInfo, &c.TCBInfoSignature, func(m map[string]any) {
					l := m["tcbLevels"].([]any)[0].(map[string]any)
					l["tcb"].(map[string]any)["sgxtcbcomponents"].([]any)[0].(map[string]any)["svn"] = 264
				})
			}, kind: verify.KindCollateralMismatch}},
		// QVL: accepted, issueDate unread.
		{"Collateral issued after the verification time.", verifyCase{name: "TCB info issued in an hour",
			coll: tcbInfo(func(i *collateral.TCBInfo) { i.IssueDate = testNow.Add(hour) }), kind: verify.KindCollateralExpired}},
		{"Collateral issued after the verification time.", verifyCase{name: "QE identity issued in an hour",
			coll: qeIdentity(func(id *collateral.QEIdentity) { id.IssueDate = testNow.Add(hour) }), kind: verify.KindCollateralExpired}},
		// QVL: accepted, notBefore unread.
		{"Certificates not yet valid.", verifyCase{name: "certificates valid from an hour on",
			pki: &cvmtest.PKIOptions{NotBefore: testNow.Add(hour), NotAfter: testNow.AddDate(5, 0, 0)}, kind: verify.KindCertChain}},
		// QVL: accepted, t == nextUpdate is current.
		{"The nextUpdate boundary.", verifyCase{name: "TCB info at its nextUpdate",
			coll: tcbInfo(func(i *collateral.TCBInfo) { i.NextUpdate = testNow }), kind: verify.KindCollateralExpired}},
		{"The nextUpdate boundary.", verifyCase{name: "QE identity at its nextUpdate",
			coll: qeIdentity(func(id *collateral.QEIdentity) { id.NextUpdate = testNow }), kind: verify.KindCollateralExpired}},
		{"The nextUpdate boundary.", verifyCase{name: "CRLs at their nextUpdate",
			coll: cvmtest.CollateralOptions{CRLNextUpdate: testNow}, kind: verify.KindCollateralExpired}},
		// Intel's QvE: the verdict, with the expiration flag set.
		{"Expiry is fatal.", verifyCase{name: "TCB info past its nextUpdate",
			coll: tcbInfo(func(i *collateral.TCBInfo) { i.NextUpdate = testNow.Add(-hour) }), kind: verify.KindCollateralExpired}},
		// QVL: accepted, the signature checked over compact JSON.
		{"Signatures over the raw JSON.", verifyCase{name: "TCB info re-indented",
			editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
				var b bytes.Buffer
				require.NoError(t, json.Indent(&b, c.TCBInfo, "", "  "))
				c.TCBInfo = b.Bytes()
			}, kind: verify.KindCollateralSignature}},
		// QVL: accepted, the roles found whatever the order.
		{"The order of chains.", verifyCase{name: "TCB info issuer chain root first",
			editColl: func(_ *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
				c.TCBInfoIssuerChain = append(bytes.Clone(p.RootPEM), onlyFirstCert(c.TCBInfoIssuerChain)...)
			}, kind: verify.KindCollateralSignature}},
		{"The order of chains.", verifyCase{name: "PCK chain intermediate first",
			tamper: func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
				leaf := onlyFirstCert(q.PCKChainPEM)
				rest := q.PCKChainPEM[len(leaf):]
				intermediate := onlyFirstCert(rest)
				q.PCKChainPEM = slices.Concat(intermediate, leaf, rest[len(intermediate):])
				return resign(t, p, q)
			}, kind: verify.KindCertChain}},
		// QVL: no such mode; with a TCB info of this signer it would pass.
		{"The TDX module without collateral.", verifyCase{name: "MRSIGNERSEAM not zero without collateral",
			quote: cvmtest.QuoteOptions{MRSignerSEAM: [48]byte{1}},
			opts: func(_ *testing.T, _ *cvmtest.PKI, o *verify.Options) {
				o.Collateral, o.NoCollateral = nil, true
			}, accept: acceptUnknown, kind: verify.KindTDXModuleMismatch, check: failedAt(verify.CheckTDXModule)}},
		// QVL: no size limit.
		{"Quote size.", verifyCase{name: "a quote padded past 64 KiB",
			raw: func(b []byte) []byte { return append(b, make([]byte, quote.MaxQuoteSize)...) }, kind: verify.KindMalformedQuote}},
	}
	section := stricterSection(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Contains(t, section, tc.doc, "the package doc lists the case")
			tc.run(t)
		})
	}
}
