//go:build !cvmgate_nosim

package main

import (
	"bytes"
	"slices"
	"strings"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// attack is a threat the simulator runs (simulate --attack NAME) and the
// demo shows refused: what the simulated CVM does, and the refusal a
// verifier holding the honest CVM's policy and trust must give.
type attack struct {
	// name is the value of --attack.
	name string
	// title names the threat in one line of the demo.
	title string
	// does says what the simulated CVM (or the relay) does; why, in a
	// few words, how a verifier sees through it.
	does, why string
	// kind is the verify.Kind of the refusal; rule, for a policy
	// refusal, the policy rule broken.
	kind verify.Kind
	rule string
	// options are the server options that make the threat against the
	// honest app; nil for the relay, which runs in front of an honest CVM.
	options func(honest cvmtest.App) ([]cvmtest.Option, error)
	// relay runs a man in the middle in front of an honest CVM.
	relay bool
	// prime makes the CVM quote once before any client comes, so that
	// every client gets the old quote (a replaying CVM).
	prime bool
}

// attacks are the threats, in the order the demo shows them: the four
// every reader knows first.
var attacks = []*attack{
	{
		name: "relay", title: "relay (man in the middle)", kind: verify.KindKeyBinding, relay: true,
		does: "a relay with its own TLS key forwards every request, the attestation included, to an honest CVM",
		why:  "the quote names the CVM's TLS key, not the relay's",
	},
	{
		name: "replay", title: "replayed quote", kind: verify.KindStaleNonce, prime: true,
		does:    "the CVM answers every attestation with one old quote, made for another nonce",
		why:     "the quote carries an old nonce, not ours",
		options: constOptions(cvmtest.WithReplay()),
	},
	{
		name: "compose", title: "changed compose", kind: verify.KindPolicy, rule: "app.compose_hashes",
		does:    "the CVM runs another app-compose.json (another image) under the same app id",
		why:     "code substitution: a compose hash the policy does not list",
		options: composeOptions,
	},
	{
		name: "debug", title: "debug TD", kind: verify.KindPolicy, rule: "tcb.allow_debug",
		does:    "the TD runs with the DEBUG attribute: the host can read and change its memory",
		why:     "the TD's DEBUG attribute is set",
		options: constOptions(cvmtest.WithDebug()),
	},
	{
		name: "forged-event", title: "forged event log", kind: verify.KindRTMRMismatch,
		does:    "the event log claims another compose hash than the one measured into RTMR3",
		why:     "the event log does not replay to the quote's RTMR3",
		options: constOptions(cvmtest.WithTamperedEventLog(forgeComposeEvent)),
	},
	{
		name: "unbound", title: "TLS key not bound", kind: verify.KindKeyBinding,
		does:    "the CVM quotes the nonce alone, not its TLS key (a seed-style server)",
		why:     "the quote names no TLS key",
		options: constOptions(cvmtest.WithoutKeyBinding()),
	},
	{
		name: "outofdate", title: "out-of-date platform", kind: verify.KindPolicy, rule: "tcb.accept",
		does:    "the platform's TCB is OutOfDate: microcode or TDX module not patched",
		why:     "TCB status OutOfDate; the policy accepts UpToDate",
		options: constOptions(cvmtest.WithTCBStatus(string(verify.StatusOutOfDate))),
	},
	{
		name: "revoked", title: "revoked platform", kind: verify.KindRevoked,
		does:    "Intel's CRL revokes the platform's PCK certificate",
		why:     "Intel's CRL lists the platform's PCK certificate",
		options: revokedOptions,
	},
	{
		name: "expired-collateral", title: "expired collateral", kind: verify.KindCollateralExpired,
		does:    "the collateral (TCB info, QE identity, CRLs) expired an hour ago",
		why:     "TCB info, QE identity, CRLs past their next update",
		options: constOptions(cvmtest.WithExpiredCollateral()),
	},
}

// composeOptions run another compose than the honest app's under its app
// id, as an upgrade of the app would: the default compose with another
// image digest, or any other compose a trailing newline.
func composeOptions(honest cvmtest.App) ([]cvmtest.Option, error) {
	appID, _, _, _ := honest.Identity()
	other := honest.ComposeText() + "\n"
	if honest.ComposeText() == cvmtest.DefaultCompose {
		other = strings.Replace(cvmtest.DefaultCompose, "0001\\n", "0bad\\n", 1)
	}
	return []cvmtest.Option{cvmtest.WithApp(cvmtest.App{Compose: other, AppID: appID})}, nil
}

// constOptions returns options that do not depend on the honest app.
func constOptions(opts ...cvmtest.Option) func(cvmtest.App) ([]cvmtest.Option, error) {
	return func(cvmtest.App) ([]cvmtest.Option, error) { return opts, nil }
}

// revokedOptions signs with a PKI of the default seed (the same root)
// whose PCK certificate is on the PCK CRL. It is a PKI of its own, so
// that the default PKI, shared by every server of the process, stays
// unrevoked.
func revokedOptions(cvmtest.App) ([]cvmtest.Option, error) {
	p, err := cvmtest.NewPKI(cvmtest.PKIOptions{})
	if err != nil {
		return nil, err
	}
	p.RevokePCK()
	return []cvmtest.Option{cvmtest.WithPKI(p)}, nil
}

// forgeComposeEvent replaces the compose-hash payload of an event log.
func forgeComposeEvent(events []eventlog.Event) []eventlog.Event {
	for i := range events {
		if events[i].Event == "compose-hash" {
			events[i].Payload = bytes.Repeat([]byte{0xee}, 32)
		}
	}
	return events
}

// findAttack returns the attack named name, or nil.
func findAttack(name string) *attack {
	i := slices.IndexFunc(attacks, func(a *attack) bool { return a.name == name })
	if i < 0 {
		return nil
	}
	return attacks[i]
}

// attackNames lists the values of --attack.
func attackNames() []string {
	names := make([]string, len(attacks))
	for i, a := range attacks {
		names[i] = a.name
	}
	return names
}

// attackList lists the attacks with their refusals, for help.
func attackList() string {
	parts := make([]string, len(attacks))
	for i, a := range attacks {
		parts[i] = a.name + " (" + a.refusal() + ")"
	}
	return strings.Join(parts, "; ")
}

// refusal says what a refusal of this attack looks like: its kind, and
// for a policy refusal the rule.
func (a *attack) refusal() string {
	if a.rule != "" {
		return string(a.kind) + ", " + a.rule
	}
	return string(a.kind)
}
