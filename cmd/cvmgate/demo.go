//go:build !cvmgate_nosim

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

var demoCmd = &command{
	name:    "demo",
	summary: "see a simulated CVM verified end to end, then every attack refused (no network, no TDX)",
	about: `Starts a simulated dstack CVM on loopback (cvmtest: an Intel-shaped TEST PKI, a fake guest
agent, the real CVM-side handler), verifies it through the same transport as production
and prints every check with what it proves and the attack it stops, and the CVM's
identity. Then it starts one CVM per attack (a relay, a replayed quote, a changed compose,
a debug TD, and more) and shows each refused, before any request reaches the app. It ends
with the commands to try next. The test root is trusted only inside the demo; every attack
can also be run as a process with 'cvmgate simulate --attack NAME'. Builds with
-tags ` + noSimTag + ` leave the demo out.`,
	run: runDemo,
	examples: []example{
		{"run it from a clone", "go run ./cmd/cvmgate demo"},
	},
	exits: []exitDoc{
		{exitOK, "every step ended as the demo expects"},
		{exitRefused, "a step did not: the honest CVM was refused, or an attack was not refused as expected"},
		{exitUsage, "usage error: the demo takes no flags or arguments"},
	},
}

// demoTimeout bounds the whole demo; it takes about a second.
const demoTimeout = time.Minute

// demoPolicyName names the honest CVM's policy in the demo's report.
const demoPolicyName = "the app's policy (compose hash, app id, OS image, KMS, UpToDate, no debug, TLS key bound)"

// runDemo implements "cvmgate demo".
func runDemo(ctx context.Context, e *env, _ []string) error {
	if err := demo(ctx, e.stdout); err != nil {
		return exitError{exitRefused, err}
	}
	return nil
}

// demo runs the scenario and writes its narration to w. It returns an
// error when any step does not end as the demo expects.
func demo(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	fmt.Fprint(w, `cvmgate demo: a simulated dstack CVM on loopback, verified through the real transport.
Its quotes are signed by a TEST PKI that only this demo trusts: no network, no TDX hardware.

`)
	if err := demoHonest(ctx, w); err != nil {
		return err
	}
	fmt.Fprint(w, "\n2. Attacks, each run by a simulated CVM of its own, each refused before a byte of\n   the request reaches the app (the kind is error.kind in --json):\n")
	lines, err := demoAttacks(ctx)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, `
Next:
  cvmgate simulate --write-trust ./sim          # this CVM as a process, on %[1]s
  cvmgate verify https://%[1]s --trust-root ./sim/root.pem --collateral ./sim/collateral.json --policy ./sim/policy.yaml
  cvmgate simulate --listen 127.0.0.1:8444 --attack replay   # any attack above, for CI (--attack relay, ...)
  cvmgate verify https://your-cvm.example --policy policy.yaml   # a real CVM: Intel's root and PCS
  cvmgate help verify
`, defaultSimAddress)
	return nil
}

// demoHonest verifies the honest CVM through the transport, prints the
// report, then sends a request over the attested connection.
func demoHonest(ctx context.Context, w io.Writer) error {
	s, err := startSim(ctx, simOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	tr, err := transport.New(s.honest, s.front.TransportOptions()...)
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections()
	started := time.Now()
	a, err := tr.Attest(ctx, s.front.URL)
	if err != nil {
		return fmt.Errorf("the honest CVM was refused: %w", err)
	}
	res := newLiveResult(s.front.URL, a, nil, started)
	res.setPolicy(demoPolicyName, false, "")
	fmt.Fprintln(w, "1. The honest CVM, verified as 'cvmgate verify' does:")
	fmt.Fprintln(w)
	if err := res.writeReport(w); err != nil {
		return err
	}

	resp, err := tr.Client().Get(s.front.URL + "/hello")
	if err != nil {
		return fmt.Errorf("a request to the verified CVM failed: %w", err)
	}
	defer resp.Body.Close()
	body, err := limits.ReadAll(resp.Body, 4<<10)
	if err != nil {
		return err
	}
	if _, ok := transport.VerdictFor(resp); !ok || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the verified CVM answered %s without a verdict", resp.Status)
	}
	fmt.Fprintf(w, "\nGET /hello over the attested connection (its key pinned, no second quote):\n  %s %s\n", resp.Status, strings.TrimSpace(string(body)))
	if n := s.front.AttestationRequests(); n != 1 {
		return fmt.Errorf("expected one attestation of the honest CVM, found %d", n)
	}
	return nil
}

// demoAttacks runs every attack at once and returns one line each, in
// the order of attacks.
func demoAttacks(ctx context.Context) ([]string, error) {
	lines := make([]string, len(attacks))
	refusals := make([]string, len(attacks))
	width := 0
	for _, a := range attacks {
		width = max(width, len(a.title))
	}
	var g errgroup.Group
	for i, a := range attacks {
		g.Go(func() error {
			refusal, err := demoAttack(ctx, a)
			if err != nil {
				return fmt.Errorf("attack %s: %w", a.name, err)
			}
			refusals[i] = refusal
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	kindWidth := 0
	for _, r := range refusals {
		kindWidth = max(kindWidth, len(r))
	}
	for i, a := range attacks {
		lines[i] = fmt.Sprintf("  REFUSED  %-*s  %-*s  %s", width, a.title, kindWidth, refusals[i], a.why)
	}
	return lines, nil
}

// demoAttack sends a request to a CVM running attack a through a
// transport holding the honest policy, and returns how it was refused. It
// fails when the request was not refused with a's kind (and rule), or
// reached the app.
func demoAttack(ctx context.Context, a *attack) (string, error) {
	s, err := startSim(ctx, simOptions{attack: a})
	if err != nil {
		return "", err
	}
	defer s.Close()
	tr, err := transport.New(s.honest, s.front.TransportOptions()...)
	if err != nil {
		return "", err
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.front.URL+"/secret", nil)
	if err != nil {
		return "", err
	}
	resp, err := tr.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		return "", fmt.Errorf("expected a refusal of kind %s, the request was answered %s", a.refusal(), resp.Status)
	}
	if got := verify.KindOf(err); got != a.kind {
		return "", fmt.Errorf("expected a refusal of kind %s, found %v", a.refusal(), err)
	}
	refusal := string(a.kind)
	if a.rule != "" {
		rules := violatedRules(err)
		if !strings.Contains(rules, a.rule) {
			return "", fmt.Errorf("expected policy rule %s broken, found %v", a.rule, err)
		}
		refusal += " (" + rules + ")"
	}
	if s.front.AppRequests()+s.cvm.AppRequests() != 0 {
		return "", fmt.Errorf("a request reached the app of a CVM running %s", a.name)
	}
	return refusal, nil
}

// violatedRules lists the policy rules err names.
func violatedRules(err error) string {
	var rules []string
	for _, v := range policy.Violations(err) {
		rules = append(rules, v.Rule)
	}
	return strings.Join(rules, ", ")
}
