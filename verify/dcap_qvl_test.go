package verify_test

// Regression tests for the DCAP rules where the verifier departed from
// Intel's Quote Verification Library (QVL). Each case says what QVL does;
// the package doc says where the verifier stays stricter on purpose.

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// rekeyedCA is the seed of a PCK CA that has the name of the default PKI's
// CA, is signed by the same root, but has a key of its own.
var rekeyedCA = cvmtest.PKIOptions{IntermediateSeed: []byte("re-keyed PCK CA")}

// failedAt asserts that check n is the one the report records as failed.
func failedAt(n verify.CheckName) func(*testing.T, *cvmtest.PKI, *verify.Report) {
	return func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) {
		require.NotNil(t, r)
		res, ok := r.Check(n)
		require.True(t, ok, "check %s recorded", n)
		assert.Equal(t, verify.Failed, res.Outcome, "check %s", n)
	}
}

// editJSON decodes the signed JSON item *raw, lets edit change it, then
// encodes it again and signs it with p's TCB signing key. It reaches what
// the collateral structs cannot express: an empty array, a null, an SVN
// out of range.
func editJSON(t *testing.T, p *cvmtest.PKI, raw, sig *[]byte, edit func(map[string]any)) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(*raw, &m))
	edit(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	s, err := p.SignCollateral(b)
	require.NoError(t, err)
	*raw, *sig = b, s
}

// onlyFirstCert returns the first PEM block of chain.
func onlyFirstCert(chain []byte) []byte {
	end := []byte("-----END CERTIFICATE-----\n")
	return chain[:bytes.Index(chain, end)+len(end)]
}

// TestQVLPCKCRLFromTheLeafIssuer: QVL verifies the PCK CRL with the key of
// the intermediate that issued the PCK leaf in the quote's chain
// (PckCertVerifier::verify, PckCrlVerifier::verify). A CRL that only bears
// the leaf issuer's name, signed by another CA of that name, must not clear
// a revoked leaf.
func TestQVLPCKCRLFromTheLeafIssuer(t *testing.T) {
	t.Parallel()
	runCases(t, []verifyCase{
		{name: "CRL of a same-name CA that did not issue the revoked leaf", revoke: (*cvmtest.PKI).RevokePCK,
			editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
				other := testCollateral(t, sharedPKI(t, rekeyedCA), cvmtest.CollateralOptions{})
				c.PCKCRL, c.PCKCRLIssuerChain = other.PCKCRL, other.PCKCRLIssuerChain
			}, kind: verify.KindCollateralSignature, check: failedAt(verify.CheckRevocation)},
		{name: "CRL of the leaf's CA lists the leaf", revoke: (*cvmtest.PKI).RevokePCK,
			kind: verify.KindRevoked, check: failedAt(verify.CheckRevocation)},
		{name: "CRL of a CA of another name", editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			other := testCollateral(t, sharedPKI(t, cvmtest.PKIOptions{CA: collateral.CAProcessor}), cvmtest.CollateralOptions{})
			c.PCKCRL, c.PCKCRLIssuerChain = other.PCKCRL, other.PCKCRLIssuerChain
		}, kind: verify.KindCollateralMismatch, check: failedAt(verify.CheckRevocation)},
	})
}

// TestQVLRootCRLFromTheChainRoot: QVL verifies the root CA CRL with the key
// of the root of each chain it checks (PckCertVerifier::verify for the PCK
// chain, TCBSigningChain::verify for the TCB signing chain), never by name
// alone. With two trusted roots of one name, the root CRL of one must not
// clear a TCB signing certificate the other revoked.
func TestQVLRootCRLFromTheChainRoot(t *testing.T) {
	t.Parallel()
	signer := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	signer.RevokeTCBSigning()
	quoterOpts := cvmtest.PKIOptions{Seed: []byte("another root of the same name")}
	quoter := sharedPKI(t, quoterOpts)
	require.Equal(t, signer.Root.RawSubject, quoter.Root.RawSubject)
	signed := testCollateral(t, signer, cvmtest.CollateralOptions{})
	trustBoth := func(_ *testing.T, _ *cvmtest.PKI, o *verify.Options) {
		o.TrustedRoots = []*x509.Certificate{signer.Root, quoter.Root}
	}
	runCases(t, []verifyCase{
		{name: "TCB signing chain checked against the root CRL of another root", pki: &quoterOpts,
			editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
				c.TCBInfo, c.TCBInfoSignature, c.TCBInfoIssuerChain = signed.TCBInfo, signed.TCBInfoSignature, signed.TCBInfoIssuerChain
				c.QEIdentity, c.QEIdentitySignature, c.QEIdentityIssuerChain = signed.QEIdentity, signed.QEIdentitySignature, signed.QEIdentityIssuerChain
			}, opts: trustBoth, kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)},
		{name: "PCK chain checked against the root CRL of another root", pki: &quoterOpts,
			editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
				c.RootCACRL = signed.RootCACRL
			}, opts: trustBoth, kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)},
	})
}

// TestQVLQEIdentityLevelOrder: QVL takes the QE identity's levels in the
// signed order and rates the QE by the first whose isvsvn is at or below
// the QE's (EnclaveIdentityV2::getTcbStatus); it does not sort them.
func TestQVLQEIdentityLevelOrder(t *testing.T) {
	t.Parallel()
	lowestFirst := func(id *collateral.QEIdentity) { slices.Reverse(id.TCBLevels) }
	up, out := verify.StatusUpToDate, verify.StatusOutOfDate
	runCases(t, []verifyCase{
		{name: "levels lowest first rate an up-to-date QE by the first level at or below it",
			coll: cvmtest.CollateralOptions{QEIdentity: lowestFirst}, accept: verify.Accept{Statuses: []verify.TCBStatus{up, out}},
			status: out, check: statuses(up, up, out, "INTEL-SA-00837")},
		{name: "levels highest first", status: up, check: statuses(up, up, up)},
	})
}

// TestQVLPlatformLevelOrder: QVL orders the platform TCB levels with
// TcbLevel::operator> (SGX component SVNs compared lexicographically, then
// PCESVN, then TDX component SVNs), highest first, before matching
// (TcbInfo::getTcbLevels, matchTcbLevels), whatever the signed order.
func TestQVLPlatformLevelOrder(t *testing.T) {
	t.Parallel()
	up, out := verify.StatusUpToDate, verify.StatusOutOfDate
	all := verify.Accept{Statuses: verify.Statuses()}
	// A level whose first SGX component is above the UpToDate level's and
	// whose second is below: lexicographically higher, listed second.
	lexHigher := func(i *collateral.TCBInfo) {
		l := i.TCBLevels[0]
		l.TCB.SGXComponents = slices.Clone(l.TCB.SGXComponents)
		l.TCB.SGXComponents[0].SVN++
		l.TCB.SGXComponents[1].SVN--
		l.TCBStatus = string(out)
		i.TCBLevels = slices.Insert(i.TCBLevels, 1, l)
	}
	pck := mustPlatform(t, up).PCK
	pck.CPUSVNComponents[0]++
	pck.CPUSVN = pck.CPUSVNComponents
	runCases(t, []verifyCase{
		{name: "levels oldest first", coll: cvmtest.CollateralOptions{TCBInfo: func(i *collateral.TCBInfo) { slices.Reverse(i.TCBLevels) }},
			accept: all, status: up, check: statuses(up, up, up)},
		{name: "a lexicographically higher level listed second", pki: &cvmtest.PKIOptions{TCB: &pck},
			coll: cvmtest.CollateralOptions{TCBInfo: lexHigher}, accept: all, status: out,
			check: func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) { assert.Equal(t, out, r.PlatformTCBStatus) }},
	})
}

// TestQVLDuplicateLevels: QVL refuses a TCB info with two platform levels
// equal under TcbLevel::operator> ("Detected duplicated TCB levels",
// TcbInfo.cpp) or a module identity with two levels of one isvsvn
// ("Detected duplicated TDX Module Identity TCB levels",
// TdxModuleIdentity.cpp). QE identity levels may repeat an isvsvn.
func TestQVLDuplicateLevels(t *testing.T) {
	t.Parallel()
	runCases(t, []verifyCase{
		{name: "platform levels with the same SVNs", coll: tcbInfo(func(i *collateral.TCBInfo) {
			l := i.TCBLevels[0]
			l.TCBStatus, l.TCBDate = "Revoked", l.TCBDate.AddDate(0, 1, 0)
			i.TCBLevels = append(i.TCBLevels, l)
		}), kind: verify.KindCollateralMismatch, check: failedAt(verify.CheckCollateral)},
		{name: "platform levels that differ only in a TDX SVN", coll: tcbInfo(func(i *collateral.TCBInfo) {
			l := i.TCBLevels[0]
			l.TCB.TDXComponents = slices.Clone(l.TCB.TDXComponents)
			l.TCB.TDXComponents[15].SVN = 1
			l.TCBStatus = "OutOfDate"
			i.TCBLevels = append(i.TCBLevels, l)
		}), status: verify.StatusUpToDate},
		{name: "module levels with the same isvsvn", coll: tcbInfo(func(i *collateral.TCBInfo) {
			for j := range i.TDXModuleIdentities {
				m := &i.TDXModuleIdentities[j]
				l := m.TCBLevels[0]
				l.TCBStatus = "OutOfDate"
				m.TCBLevels = append(m.TCBLevels, l)
			}
		}), kind: verify.KindCollateralMismatch, check: failedAt(verify.CheckCollateral)},
		{name: "QE identity levels with the same isvsvn", coll: cvmtest.CollateralOptions{QEIdentity: func(id *collateral.QEIdentity) {
			l := id.TCBLevels[0]
			l.TCBStatus = "Revoked"
			id.TCBLevels = append(id.TCBLevels, l)
		}}, status: verify.StatusUpToDate},
	})
}

// TestQVLIssuerChainLength: QVL requires the issuer chain of the TCB info
// and of the QE identity to hold exactly two certificates, the signing
// certificate and the root (EXPECTED_CERTIFICATE_COUNT_IN_TCB_CHAIN,
// QuoteVerification.cpp), else STATUS_UNSUPPORTED_CERT_FORMAT. The bundle's
// PCK CRL issuer chain, which the verifier checks as well, is held to the
// same shape: the CA and the root.
func TestQVLIssuerChainLength(t *testing.T) {
	t.Parallel()
	edit := func(f func(c *collateral.Collateral)) func(*testing.T, *cvmtest.PKI, *collateral.Collateral) {
		return func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) { f(c) }
	}
	runCases(t, []verifyCase{
		{name: "TCB info signed by the signing certificate alone", editColl: edit(func(c *collateral.Collateral) {
			c.TCBInfoIssuerChain = onlyFirstCert(c.TCBInfoIssuerChain)
		}), kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)},
		{name: "QE identity signed by the signing certificate alone", editColl: edit(func(c *collateral.Collateral) {
			c.QEIdentityIssuerChain = onlyFirstCert(c.QEIdentityIssuerChain)
		}), kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)},
		{name: "PCK CRL issuer chain of the CA alone", editColl: edit(func(c *collateral.Collateral) {
			c.PCKCRLIssuerChain = onlyFirstCert(c.PCKCRLIssuerChain)
		}), kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)},
		{name: "TCB info chain with the root twice", editColl: edit(func(c *collateral.Collateral) {
			c.TCBInfoIssuerChain = append(bytes.Clone(c.TCBInfoIssuerChain), c.TCBInfoIssuerChain[len(onlyFirstCert(c.TCBInfoIssuerChain)):]...)
		}), kind: verify.KindCollateralSignature, check: failedAt(verify.CheckCollateral)},
	})
}

// TestQVLTDXModuleIdentity: QVL compares MRSIGNERSEAM with the mrsigner of
// the TCB info's tdxModule, or of the tdxModuleIdentities entry of the
// module's major version, and requires SEAMATTRIBUTES to be zero and equal
// to that entry's attributes, applying no mask (QuoteVerifier::verify,
// step 4.1.2.4.11). Its TCB info parser requires tdxModule in a TDX TCB
// info and refuses an empty tdxModuleIdentities (TcbInfo::parsePartV3).
func TestQVLTDXModuleIdentity(t *testing.T) {
	t.Parallel()
	signer := bytes.Repeat([]byte{0xAB}, 48)
	var signerSEAM [48]byte
	copy(signerSEAM[:], signer)
	everyModule := func(f func(signer, attrs, mask []byte)) cvmtest.CollateralOptions {
		return tcbInfo(func(i *collateral.TCBInfo) {
			f(i.TDXModule.MRSigner, i.TDXModule.Attributes, i.TDXModule.AttributesMask)
			for j := range i.TDXModuleIdentities {
				m := &i.TDXModuleIdentities[j]
				f(m.MRSigner, m.Attributes, m.AttributesMask)
			}
		})
	}
	signedBy := everyModule(func(s, _, _ []byte) { copy(s, signer) })
	attrsUnderZeroMask := everyModule(func(_, a, m []byte) { a[0], m[0] = 0x01, 0x00 })
	// A module major version of 0 selects tdxModule; the platform's TDX
	// components then count from byte 0.
	major0 := mustPlatform(t, verify.StatusUpToDate).TEETCBSVN
	major0[0], major0[1] = 3, 0
	module := failedAt(verify.CheckTDXModule)
	runCases(t, []verifyCase{
		{name: "module identity with another signer, quote signed by it", coll: signedBy,
			quote: cvmtest.QuoteOptions{MRSignerSEAM: signerSEAM}, status: verify.StatusUpToDate},
		{name: "tdxModule with another signer, quote signed by it", coll: signedBy,
			quote: cvmtest.QuoteOptions{MRSignerSEAM: signerSEAM, TEETCBSVN: major0}, status: verify.StatusUpToDate},
		{name: "module identity with another signer, quote signed by Intel", coll: signedBy,
			kind: verify.KindTDXModuleMismatch, check: module},
		{name: "module identity attributes not zero under a zero mask", coll: attrsUnderZeroMask,
			kind: verify.KindTDXModuleMismatch, check: module},
		{name: "tdxModule attributes not zero under a zero mask", coll: attrsUnderZeroMask,
			quote: cvmtest.QuoteOptions{TEETCBSVN: major0}, kind: verify.KindTDXModuleMismatch, check: module},
		{name: "SEAMATTRIBUTES outside the mask", coll: everyModule(func(_, a, m []byte) { m[7] = 0x7F }),
			quote: cvmtest.QuoteOptions{SEAMAttributes: [8]byte{7: 0x80}}, kind: verify.KindTDXModuleMismatch, check: module},
		{name: "TCB info without tdxModule", coll: tcbInfo(func(i *collateral.TCBInfo) { i.TDXModule = nil }),
			kind: verify.KindCollateralMismatch, check: failedAt(verify.CheckCollateral)},
		{name: "TCB info with an empty tdxModuleIdentities", quote: cvmtest.QuoteOptions{TEETCBSVN: major0},
			editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
				editJSON(t, p, &c.TCBInfo, &c.TCBInfoSignature, func(m map[string]any) { m["tdxModuleIdentities"] = []any{} })
			}, kind: verify.KindCollateralMismatch, check: failedAt(verify.CheckCollateral)},
		{name: "TCB info without tdxModuleIdentities, module major version 0", quote: cvmtest.QuoteOptions{TEETCBSVN: major0},
			coll: tcbInfo(func(i *collateral.TCBInfo) { i.TDXModuleIdentities = nil }), status: verify.StatusUpToDate},
	})
}

// TestQVLQEIdentityMasks: QVL masks the QE report's MISCSELECT and
// ATTRIBUTES and compares the result with the QE identity's values as they
// are (EnclaveReportVerifier::verify), so an identity bit outside its mask
// can never match.
func TestQVLQEIdentityMasks(t *testing.T) {
	t.Parallel()
	qe := failedAt(verify.CheckQEIdentity)
	runCases(t, []verifyCase{
		{name: "identity MISCSELECT bit outside its mask", coll: qeIdentity(func(id *collateral.QEIdentity) {
			id.MiscSelect, id.MiscSelectMask = []byte{1, 0, 0, 0}, []byte{0, 0, 0, 0}
		}), kind: verify.KindQEIdentityMismatch, check: qe},
		{name: "identity ATTRIBUTES bit outside its mask", coll: qeIdentity(func(id *collateral.QEIdentity) {
			id.Attributes[8] = 0x01
		}), kind: verify.KindQEIdentityMismatch, check: qe},
		{name: "report MISCSELECT bit outside the mask", coll: qeIdentity(func(id *collateral.QEIdentity) {
			id.MiscSelectMask = []byte{0xFE, 0xFF, 0xFF, 0xFF}
		}), quote: cvmtest.QuoteOptions{QEMiscSelect: 1}, status: verify.StatusUpToDate},
		{name: "report ATTRIBUTES bits outside the mask", quote: cvmtest.QuoteOptions{QEAttributes: [16]byte{0x15, 8: 0x03}},
			status: verify.StatusUpToDate},
		{name: "report MISCSELECT bit under the mask", quote: cvmtest.QuoteOptions{QEMiscSelect: 1},
			kind: verify.KindQEIdentityMismatch, check: qe},
	})
}
