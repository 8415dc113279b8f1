package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
)

// liveCVM is a simulated CVM in the test's process, with the files that
// "verify" reads to trust it.
type liveCVM struct {
	srv *cvmtest.Server
	// root, coll, policy and tlsCA are files: the test root, its
	// collateral bundle, the honest CVM's policy and the TLS CA.
	root, coll, policy, tlsCA string
}

// newLiveCVM starts a simulated CVM with opts (threats included); its
// policy file is the honest CVM's, which threats do not loosen.
func newLiveCVM(t *testing.T, opts ...cvmtest.Option) *liveCVM {
	t.Helper()
	srv, err := cvmtest.StartServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	}), opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return liveFor(t, srv)
}

// liveFor writes the trust files of srv (or of the relay's target).
func liveFor(t *testing.T, srv *cvmtest.Server) *liveCVM {
	t.Helper()
	pol, err := cvmtest.PolicyFor()
	require.NoError(t, err)
	polYAML, err := pol.Marshal()
	require.NoError(t, err)
	bundle, err := srv.Collateral().MarshalBundle()
	require.NoError(t, err)
	return &liveCVM{
		srv:    srv,
		root:   writeFile(t, "root.pem", srv.PKI().RootPEM),
		coll:   writeFile(t, "collateral.json", bundle),
		policy: writeFile(t, "policy.yaml", polYAML),
		tlsCA:  writeFile(t, "tls-ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.PKI().TLSCA.Raw})),
	}
}

// args returns "verify URL" with the trust flags and extra.
func (c *liveCVM) args(extra ...string) []string {
	return append([]string{"verify", c.srv.URL, "--trust-root", c.root, "--collateral", c.coll}, extra...)
}

// spkiSHA256 is the hex SHA-256 of the SPKI of the key the server presents.
func (c *liveCVM) spkiSHA256() string {
	sum := sha256.Sum256(c.srv.Certificates()[0].RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// silentServer returns an https URL of a TCP listener that accepts
// connections and never answers: a hung CVM.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "https://" + ln.Addr().String()
}
