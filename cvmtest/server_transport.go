package cvmtest

import "github.com/cvmgate/cvmgate/transport"

// TransportOptions returns what a transport.Transport needs to verify the
// server: VerifyOptions (its PKI's root as the only trusted root, and its
// collateral) and its TLS CA as the roots of WebPKI validation (used with
// binding "none", or with transport.WithWebPKI). Servers of one PKI seed
// share both, so these options serve against any of them.
func (s *Server) TransportOptions() []transport.Option {
	return []transport.Option{
		transport.WithVerifyOptions(s.VerifyOptions()),
		transport.WithRootCAs(s.cfg.pki.TLSCAPool()),
	}
}
