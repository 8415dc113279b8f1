//go:build !cvmgate_nosim

package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cvmgate/cvmgate/cvmtest"
)

// defaultSimAddress is where simulate listens without --listen.
const defaultSimAddress = "127.0.0.1:8443"

var simulateCmd = &command{
	name:     "simulate",
	summary:  "run a simulated dstack CVM (and its guest agent) for local development and CI",
	synopsis: "[--listen ADDR] [--agent ADDR] [--write-trust DIR] [--compose FILE] [--attack NAME]",
	about: `Runs a simulated dstack CVM until interrupted (SIGINT or SIGTERM): a TLS server whose
/attestation and /info are served by cvmgate's real CVM-side handler, backed by a fake guest
agent that signs TDX quotes with a TEST PKI, and whose every other path answers a small JSON
body. Its quotes verify only under the test root (--trust-root): never in production.

--write-trust DIR writes what the other commands need to verify it: root.pem (the test root,
for --trust-root), collateral.json (an offline bundle valid for 30 days, for --collateral),
policy.yaml (the policy the honest CVM satisfies, for --policy), tls-ca.pem (the CA of its
TLS certificates, for --ca-cert) and env (shell variables: CVMGATE_SIM_URL, CVMGATE_PCCS_URL,
and DSTACK_SIMULATOR_ENDPOINT with --agent). The collateral is also served by a fake PCCS on
loopback, whose URL is printed.

--agent ADDR also serves the dstack guest agent's API (GetQuote, Info, GetTlsKey, Version, as
dstack.sock answers them) on a unix socket path or a host:port, the same agent the CVM's
attestations come from: an app using the dstack SDKs, run with DSTACK_SIMULATOR_ENDPOINT set
to it, runs unmodified on a laptop, and its quotes verify under the test root.

--attack NAME runs a threat instead of the honest CVM, while --write-trust still writes the
honest CVM's policy: every verifier must then refuse it, with the error kind (and policy
rule) given here. Under "relay", --listen is a man in the middle in front of an honest CVM
on another port. Attacks: ` + attackList() + `. Builds with -tags ` + noSimTag + ` leave the
simulator out.`,
	flags: simulateFlags,
	examples: []example{
		{"an honest CVM, and what verify needs", "cvmgate simulate --listen 127.0.0.1:8443 --write-trust ./sim"},
		{"verify it from another terminal", ". ./sim/env && cvmgate verify $CVMGATE_SIM_URL --trust-root ./sim/root.pem --collateral ./sim/collateral.json --policy ./sim/policy.yaml"},
		{"your own app compose, and the guest agent for a dstack SDK app", "cvmgate simulate --compose app-compose.json --agent /tmp/dstack.sock --write-trust ./sim"},
		{"a replaying CVM, for a CI test that verify refuses it (exit 1, stale_nonce)", "cvmgate simulate --listen 127.0.0.1:8444 --attack replay --write-trust ./sim-replay"},
	},
	exits: []exitDoc{
		{exitOK, "stopped by SIGINT or SIGTERM"},
		{exitUsage, "usage or local input error: a flag, a busy address, an unreadable --compose, an unwritable --write-trust"},
	},
}

// simulateFlags registers the flags of "simulate".
func simulateFlags(fs *flag.FlagSet) runFunc {
	var listen, agent, trustDir, composeFile, attackName string
	fs.StringVar(&listen, "listen", defaultSimAddress, "serve the CVM on `ADDR` (host:port; port 0 picks a free one)")
	fs.StringVar(&agent, "agent", "", "also serve the dstack guest agent API at `ADDR`: a unix socket path, or host:port")
	fs.StringVar(&trustDir, "write-trust", "", "write root.pem, collateral.json, policy.yaml, tls-ca.pem and env to `DIR` (made if missing; files replaced)")
	fs.StringVar(&composeFile, "compose", "", "run the app-compose.json in `FILE` instead of cvmtest's one-service default")
	fs.StringVar(&attackName, "attack", "", "run the threat `NAME` instead of the honest CVM: "+strings.Join(attackNames(), ", "))
	return func(ctx context.Context, e *env, _ []string) error {
		o := simOptions{listen: listen}
		if attackName != "" {
			if o.attack = findAttack(attackName); o.attack == nil {
				return usagef("--attack %q: unknown attack; expected one of: %s", attackName, strings.Join(attackNames(), ", "))
			}
		}
		if _, _, err := net.SplitHostPort(listen); err != nil {
			return usagef("--listen %q: expected host:port, such as %s", listen, defaultSimAddress)
		}
		if agent != "" {
			o.agentNetwork, o.agentAddress = agentNetwork(agent), agent
			if o.agentNetwork == "unix" {
				removeStaleSocket(agent)
			}
		}
		if composeFile != "" {
			data, err := readInput(e, "--compose", composeFile)
			if err != nil {
				return err
			}
			o.compose = data
		}
		s, err := startSim(ctx, o)
		if err != nil {
			return usagef("cannot start the simulated CVM: %w", err)
		}
		defer s.Close()
		pcs := cvmtest.NewPCSServer(s.front.Collateral(), s.cvm.PKI())
		defer pcs.Close()
		if trustDir != "" {
			if err := writeTrust(trustDir, s, pcs.URL); err != nil {
				return err
			}
		}
		writeSimBanner(e, s, pcs.URL, trustDir)
		<-ctx.Done()
		fmt.Fprintln(e.stderr, "cvmgate simulate: stopped")
		return nil
	}
}

// agentNetwork says how to serve --agent ADDR: "tcp" for host:port with
// a numeric port, else "unix" (a socket path).
func agentNetwork(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			return "tcp"
		}
	}
	return "unix"
}

// removeStaleSocket removes the unix socket at path if nothing answers on
// it: one left behind by a simulator that was killed. A live socket, or
// any other file, is left for the listener to refuse.
func removeStaleSocket(path string) {
	st, err := os.Lstat(path)
	if err != nil || st.Mode()&os.ModeSocket == 0 {
		return
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return
	}
	_ = os.Remove(path)
}

// writeSimBanner prints where everything is, and the line "ready" last:
// a script waits for it.
func writeSimBanner(e *env, s *simCVM, pccsURL, trustDir string) {
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "cvmgate simulate: a simulated dstack CVM signed by a TEST PKI (its quotes verify only under --trust-root)")
	fmt.Fprintf(w, "cvm\t%s\n", s.front.URL)
	if a := s.attack; a != nil {
		fmt.Fprintf(w, "attack\t%s: %s; a verifier must refuse it: %s\n", a.name, a.does, a.refusal())
	} else {
		fmt.Fprintln(w, "attack\tnone: an honest CVM")
	}
	fmt.Fprintf(w, "pccs\t%s\n", pccsURL)
	if ep := s.agent; ep != "" {
		fmt.Fprintf(w, "agent\t%s (DSTACK_SIMULATOR_ENDPOINT=%s)\n", ep, ep)
	}
	if trustDir != "" {
		fmt.Fprintf(w, "trust\t%s: %s\n", trustDir, strings.Join(trustFiles, ", "))
		fmt.Fprintf(w, "verify\tcvmgate verify %s --trust-root %s --collateral %s --policy %s\n", s.front.URL,
			trustPath(trustDir, trustRootFile), trustPath(trustDir, trustCollateralFile), trustPath(trustDir, trustPolicyFile))
	}
	w.Flush()
	fmt.Fprintln(e.stdout, "ready; interrupt (Ctrl-C) to stop")
}
