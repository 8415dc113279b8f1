package cvmtest

import (
	"crypto/x509"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// VerifyOptions returns verifier options for evidence made with p: p's
// root as the only trusted root (a test root, trusted because the caller
// says so here), and collateral from c.
func (p *PKI) VerifyOptions(c *collateral.Collateral) verify.Options {
	return verify.Options{
		TrustedRoots: []*x509.Certificate{p.Root},
		Collateral:   collateral.Static(c, "cvmtest"),
	}
}
