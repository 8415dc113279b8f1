package cvmtest

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// AgentServer is an Agent serving on a unix socket or a TCP address.
type AgentServer struct {
	// Endpoint is where the agent listens, in the form
	// DSTACK_SIMULATOR_ENDPOINT and cvm.ClientOptions.Endpoint take: the
	// socket path, or http://host:port.
	Endpoint string

	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// Listen serves the agent on network ("unix" or "tcp") at address (a
// socket path, or host:port such as "127.0.0.1:0"). Close stops it; a
// unix socket file is removed then.
func (a *Agent) Listen(network, address string) (*AgentServer, error) {
	if network != "unix" && network != "tcp" {
		return nil, invalid("agent listener", "network", `"unix" or "tcp"`, network)
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, &Error{Op: "agent listener", Err: err}
	}
	s := &AgentServer{
		srv: &http.Server{
			Handler:           a,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          log.New(io.Discard, "", 0),
		},
		ln:   ln,
		done: make(chan struct{}),
	}
	if network == "unix" {
		s.Endpoint = address
	} else {
		s.Endpoint = "http://" + ln.Addr().String()
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and closes its connections.
func (s *AgentServer) Close() error {
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// CleanupTB is the part of testing.TB that StartAgent uses; like TB, it
// keeps package testing out of programs that import cvmtest.
type CleanupTB interface {
	TB
	Cleanup(func())
}

// StartAgent starts a fake agent for opts on a unix socket in a new
// temporary directory, and stops it when the test ends. The directory is
// short-named, as socket paths are limited to about 100 bytes. Any
// testing.TB will do.
func StartAgent(t CleanupTB, opts AgentOptions) (*Agent, *AgentServer) {
	t.Helper()
	a, err := NewAgent(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "cvmtest-agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s, err := a.Listen("unix", filepath.Join(dir, "dstack.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return a, s
}
