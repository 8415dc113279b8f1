package conformance_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// withCollateral verifies the base platform's default quote against the
// collateral mk makes (a service's answer).
func withCollateral(mk func(t *testing.T) *collateral.Collateral) func(t *testing.T) error {
	return func(t *testing.T) error {
		p, _ := platform(t)
		return verifyQuote(verifierFor(t, p, mk(t)), defaultQuote(t))
	}
}

// edited returns the base collateral made with opts and then edited.
func edited(opts cvmtest.CollateralOptions, edit func(*collateral.Collateral)) func(t *testing.T) *collateral.Collateral {
	return func(t *testing.T) *collateral.Collateral {
		c := *collateralWith(t, opts)
		if edit != nil {
			edit(&c)
		}
		return &c
	}
}

// fromPCS verifies the base platform's default quote with collateral from
// a fake PCS serving the base collateral, misbehaving as set does.
func fromPCS(set func(*cvmtest.PCSServer)) func(t *testing.T) error {
	return func(t *testing.T) error {
		p, c := platform(t)
		pcs := cvmtest.NewPCSServer(c, p)
		defer pcs.Close()
		set(pcs)
		src, err := collateral.NewPCCS(pcs.URL, collateral.HTTPOptions{Timeout: 5 * time.Second})
		require.NoError(t, err)
		v, err := verify.New(verify.Options{TrustedRoots: []*x509.Certificate{p.Root}, Collateral: src})
		require.NoError(t, err)
		_, err = v.Verify(context.Background(), defaultQuote(t), nil)
		return err
	}
}

// collateralCases are collateral answers a compromised or broken
// collateral service could give: stale, forged, for another platform or
// CA, revoking the chain, or none at all.
func collateralCases() []hostileCase {
	now := time.Now()
	return []hostileCase{
		{"collateral/TCB info and QE identity expired", verify.KindCollateralExpired, "", withCollateral(edited(cvmtest.CollateralOptions{
			IssueDate: now.Add(-31 * 24 * time.Hour), NextUpdate: now.Add(-time.Hour), CRLThisUpdate: now.Add(-time.Hour), CRLNextUpdate: now.Add(24 * time.Hour),
		}, nil))},
		{"collateral/TCB info issued in the future", verify.KindCollateralExpired, "", withCollateral(edited(cvmtest.CollateralOptions{
			IssueDate: now.Add(time.Hour), NextUpdate: now.Add(30 * 24 * time.Hour), CRLThisUpdate: now.Add(-time.Hour),
		}, nil))},
		{"collateral/PCK CRL expired", verify.KindCollateralExpired, "", withCollateral(edited(cvmtest.CollateralOptions{
			CRLThisUpdate: now.Add(-48 * time.Hour), CRLNextUpdate: now.Add(-time.Hour),
		}, nil))},
		{"collateral/TCB info signature flipped", verify.KindCollateralSignature, "", withCollateral(edited(cvmtest.CollateralOptions{}, func(c *collateral.Collateral) {
			c.TCBInfoSignature = bytes.Clone(c.TCBInfoSignature)
			c.TCBInfoSignature[7] ^= 1
		}))},
		{"collateral/QE identity signature flipped", verify.KindCollateralSignature, "", withCollateral(edited(cvmtest.CollateralOptions{}, func(c *collateral.Collateral) {
			c.QEIdentitySignature = bytes.Clone(c.QEIdentitySignature)
			c.QEIdentitySignature[7] ^= 1
		}))},
		{"collateral/TCB info re-indented after signing", verify.KindCollateralSignature, "", withCollateral(edited(cvmtest.CollateralOptions{}, func(c *collateral.Collateral) {
			var b bytes.Buffer
			if json.Indent(&b, c.TCBInfo, "", " ") == nil {
				c.TCBInfo = b.Bytes()
			}
		}))},
		{"collateral/TCB info with a QE identity's signature", verify.KindCollateralSignature, "", withCollateral(edited(cvmtest.CollateralOptions{}, func(c *collateral.Collateral) {
			c.TCBInfoSignature = c.QEIdentitySignature
		}))},
		// Its first item checked against the trusted root, the root CA
		// CRL, is signed by the other root of the same name.
		{"collateral/signed under another root", verify.KindCollateralSignature, "root ca crl", withCollateral(func(t *testing.T) *collateral.Collateral {
			c, err := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("not Intel")}).Collateral(cvmtest.CollateralOptions{})
			require.NoError(t, err)
			return c
		})},
		{"collateral/TCB info of another FMSPC", verify.KindCollateralMismatch, "fmspc", withCollateral(func(t *testing.T) *collateral.Collateral {
			c, err := cvmtest.MustPKI(t, cvmtest.PKIOptions{FMSPC: [6]byte{0x11, 0x22, 0x33}}).Collateral(cvmtest.CollateralOptions{})
			require.NoError(t, err)
			return c
		})},
		{"collateral/SGX TCB info for a TDX quote", verify.KindCollateralMismatch, "", withCollateral(edited(cvmtest.CollateralOptions{
			TCBInfo: func(i *collateral.TCBInfo) { i.ID = "SGX" },
		}, nil))},
		{"collateral/QE identity of the SGX QE", verify.KindCollateralMismatch, "", withCollateral(edited(cvmtest.CollateralOptions{
			QEIdentity: func(q *collateral.QEIdentity) { q.ID = "QE" },
		}, nil))},
		{"collateral/configuration status on a QE identity level", verify.KindCollateralMismatch, "", withCollateral(edited(cvmtest.CollateralOptions{
			QEIdentity: func(q *collateral.QEIdentity) { q.TCBLevels[0].TCBStatus = "ConfigurationNeeded" },
		}, nil))},
		{"collateral/TCB signing certificate revoked", verify.KindRevoked, "", func(t *testing.T) error {
			p, _ := platform(t)
			return withCollateral(edited(cvmtest.CollateralOptions{RevokedRootSerials: []*big.Int{p.TCBSigning.SerialNumber}}, nil))(t)
		}},
		{"collateral/PCK CRL of the processor CA", verify.KindCollateralMismatch, "", withCollateral(func(t *testing.T) *collateral.Collateral {
			proc, err := cvmtest.MustPKI(t, cvmtest.PKIOptions{CA: collateral.CAProcessor}).Collateral(cvmtest.CollateralOptions{})
			require.NoError(t, err)
			c := *collateralWith(t, cvmtest.CollateralOptions{})
			c.PCKCRL, c.PCKCRLIssuerChain = proc.PCKCRL, proc.PCKCRLIssuerChain
			return &c
		})},
		{"collateral/service down", verify.KindCollateralUnavailable, "", fromPCS(func(s *cvmtest.PCSServer) { s.Fail("", 503) })},
		{"collateral/service answers without end", verify.KindCollateralUnavailable, "", fromPCS(func(s *cvmtest.PCSServer) { s.Oversize(-1) })},
	}
}
