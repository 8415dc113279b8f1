package cvm_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/wire"
)

// Example serves an application through cvm, its TLS key taken from the
// guest agent, as a program inside a dstack CVM does. Here a fake agent on
// a unix socket stands in for the real one; inside a CVM,
// cvm.ClientOptions{} finds the agent's socket.
func Example() {
	dir, _ := os.MkdirTemp("", "cvm-example")
	defer os.RemoveAll(dir)
	fake, _ := cvmtest.NewAgent(cvmtest.AgentOptions{})
	sock, _ := fake.Listen("unix", filepath.Join(dir, "dstack.sock"))
	defer sock.Close()

	ctx := context.Background()
	agent, err := cvm.NewClient(cvm.ClientOptions{Endpoint: sock.Endpoint})
	if err != nil {
		panic(err)
	}
	cert, err := agent.GetTLSKey(ctx, cvm.TLSKeyOptions{
		Subject: "localhost", AltNames: []string{"localhost", "127.0.0.1"}, UsageServerAuth: true,
	})
	if err != nil {
		panic(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	h, err := cvm.NewHandler(agent, app, cvm.Options{})
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	if err := cvm.Configure(srv); err != nil {
		panic(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	defer srv.Close()

	// A client (cvmgate's transport does this and verifies the quote).
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: fake.PKI().TLSCAPool()}}}
	resp, err := c.Get("https://" + ln.Addr().String() + wire.InfoPath)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	info, err := wire.ParseInfo(body)
	if err != nil {
		panic(err)
	}
	fmt.Println(info.AppName)
	// Output: cvmtest-app
}
