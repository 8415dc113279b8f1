package cvmtest_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// ExampleNewServer verifies a simulated CVM by hand, as cvmgate's
// transport does before it lets a request through: a fresh nonce, the
// attestation and info over a connection, the key that connection
// presented, and the server's own trust and policy.
func ExampleNewServer() {
	srv := cvmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	defer srv.Close()
	c := srv.Client() // trusts the simulated CVM's TLS CA, verifies nothing else

	nonce := make([]byte, wire.NonceSize)
	_, _ = rand.Read(nonce)
	u, _ := wire.AttestationURL(srv.URL, nonce)
	resp, err := c.Get(u)
	if err != nil {
		panic(err)
	}
	body, _ := limits.ReadAll(resp.Body, wire.MaxDocumentSize)
	resp.Body.Close()
	att, err := wire.ParseAttestation(body)
	if err != nil {
		panic(err)
	}
	infoURL, _ := wire.InfoURL(srv.URL)
	infoResp, err := c.Get(infoURL)
	if err != nil {
		panic(err)
	}
	body, _ = limits.ReadAll(infoResp.Body, wire.MaxDocumentSize)
	infoResp.Body.Close()
	info, err := wire.ParseInfo(body)
	if err != nil {
		panic(err)
	}

	v, _ := verify.New(srv.VerifyOptions())
	binding := &verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: resp.TLS.PeerCertificates[0].RawSubjectPublicKeyInfo}
	r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info}, binding, srv.Policy())
	if err != nil {
		panic(err)
	}
	fmt.Println(r.TCBStatus, r.Dstack.Binding, srv.AttestationRequests(), srv.AppRequests())
	// Output: UpToDate spki 1 0
}

// A simulator that runs a threat hands its clients the honest server's
// policy, which the threat does not loosen.
func ExamplePolicyFor() {
	honest, err := cvmtest.PolicyFor()
	if err != nil {
		panic(err)
	}
	debug, err := cvmtest.PolicyFor(cvmtest.WithDebug())
	if err != nil {
		panic(err)
	}
	fmt.Println("honest allows debug:", honest.TCB.AllowDebug)
	fmt.Println("a debug server's own policy allows debug:", debug.TCB.AllowDebug)
	// Output:
	// honest allows debug: false
	// a debug server's own policy allows debug: true
}
