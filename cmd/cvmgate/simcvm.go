//go:build !cvmgate_nosim

package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/wire"
)

// simOptions say which simulated CVM to start.
type simOptions struct {
	// attack is the threat to run; nil for an honest CVM.
	attack *attack
	// compose is the honest app's app-compose.json; nil for cvmtest's.
	compose []byte
	// listen is the TCP address clients reach; "" for a free loopback port.
	listen string
	// agentNetwork and agentAddress, if set, serve the CVM's guest agent
	// there.
	agentNetwork, agentAddress string
}

// simCVM is a running simulated CVM: the server clients reach (the relay,
// under the relay attack), the CVM itself, and the policy of the honest
// CVM, which a threat does not loosen.
type simCVM struct {
	// front is what clients reach.
	front *cvmtest.Server
	// cvm is the simulated CVM, whose guest agent SDKs reach; the relay's
	// target under the relay attack, else front.
	cvm *cvmtest.Server
	// honest is the policy the honest CVM satisfies.
	honest *policy.Policy
	// attack is the threat it runs, nil for none.
	attack *attack
	// agent is where its guest agent serves SDKs, "" when not asked.
	agent string
}

// startSim starts the simulated CVM o asks for. Its app answers every
// path but the protocol's with a small JSON body (simApp).
func startSim(ctx context.Context, o simOptions) (*simCVM, error) {
	var app cvmtest.App
	if o.compose != nil {
		app.Compose = string(o.compose)
	}
	pol, err := cvmtest.PolicyFor(cvmtest.WithApp(app))
	if err != nil {
		return nil, err
	}
	opts := []cvmtest.Option{cvmtest.WithApp(app)}
	a := o.attack
	if a != nil && a.options != nil {
		threat, err := a.options(app)
		if err != nil {
			return nil, err
		}
		opts = append(opts, threat...)
	}
	listen := o.listen
	if listen == "" {
		listen = cvmtest.DefaultListenAddress
	}
	if o.agentNetwork != "" {
		opts = append(opts, cvmtest.WithAgentAddress(o.agentNetwork, o.agentAddress))
	}
	if a == nil || !a.relay {
		opts = append(opts, cvmtest.WithListenAddress(listen))
	}
	srv, err := cvmtest.StartServer(simApp, opts...)
	if err != nil {
		return nil, err
	}
	s := &simCVM{front: srv, cvm: srv, honest: pol, attack: a}
	if o.agentNetwork != "" {
		s.agent = srv.AgentEndpoint()
	}
	if a != nil && a.relay {
		if s.front, err = cvmtest.NewRelayAt(srv, listen); err != nil {
			srv.Close()
			return nil, err
		}
	}
	if a != nil && a.prime {
		if err := s.prime(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// prime fetches one attestation, for a fresh nonce, as a client would: a
// replaying CVM answers every later request with it.
func (s *simCVM) prime(ctx context.Context) error {
	nonce := make([]byte, wire.NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	u, err := wire.AttestationURL(s.cvm.URL, nonce)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	c := s.cvm.Client()
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("priming the replay: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("priming the replay: %s answered %s", wire.AttestationPath, resp.Status)
	}
	return nil
}

// Close stops the front and the CVM.
func (s *simCVM) Close() {
	if s.front != s.cvm {
		s.front.Close()
	}
	s.cvm.Close()
}

// simApp is the simulated CVM's application: it answers every request
// with a small JSON body saying what it received.
var simApp = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"app": "cvmgate simulate", "method": r.Method, "path": r.URL.Path})
})
