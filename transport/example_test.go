package transport_test

import (
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
)

// A service calls an app in a dstack CVM only after verifying what runs
// there. README.md shows this function's body; TestReadmeClientExample
// keeps the two the same.
func Example() {
	pol, err := policy.Load("policy.yaml") // written by `cvmgate policy init`, then reviewed
	if err != nil {
		log.Fatal(err)
	}
	t, err := transport.New(pol) // Intel's pinned root, collateral from Intel PCS
	if err != nil {
		log.Fatal(err)
	}
	client := t.Client() // reaches only CVMs whose quote, event log, compose and TLS key passed
	resp, err := client.Get("https://app-id-443s.dstack.example/api/balance")
	if err != nil {
		log.Fatal(err) // a *transport.AttestationError says which check failed
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	v, _ := transport.VerdictFor(resp) // who answered, for the audit log
	fmt.Printf("%s from compose %x (TCB %s)\n", body, v.ComposeHash, v.TCBStatus)
}

// The same against a simulated CVM, whose test PKI the transport trusts
// only because TransportOptions says so.
func Example_simulated() {
	cvm := cvmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "42")
	}))
	defer cvm.Close()

	t, err := transport.New(cvm.Policy(), cvm.TransportOptions()...)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := t.Client().Get(cvm.URL + "/api/balance")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	v, _ := transport.VerdictFor(resp)
	fmt.Printf("%s (TCB %s, binding %s)\n", body, v.TCBStatus, v.Binding)

	// A CVM running a debug TD is refused before any request reaches it.
	debug := cvmtest.NewServer(http.NotFoundHandler(), cvmtest.WithDebug())
	defer debug.Close()
	_, err = t.Client().Get(debug.URL + "/api/balance")
	fmt.Println("debug TD refused:", err != nil, "requests it received:", debug.AppRequests())
	// Output:
	// 42 (TCB UpToDate, binding spki)
	// debug TD refused: true requests it received: 0
}
