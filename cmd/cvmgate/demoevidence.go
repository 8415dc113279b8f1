//go:build !cvmgate_nosim

package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// demoPolicy is the policy the demo's caller deploys, filled with the
// simulated app's compose hash, app id and OS image.
const demoPolicy = `version: 1
tcb:
  accept: [UpToDate]
os_image_hashes: [%x]
app:
  compose_hashes: [%x]
  app_ids: [%x]
  require_pinned_images: true
channel:
  binding: spki
`

// demoEvidence shows the dstack half: the event log replayed against the
// verified quote, the app identity read from it, the compose checked, the
// TLS key binding checked and a policy applied; then two forgeries refused.
func demoEvidence(ctx context.Context, w io.Writer, pki *cvmtest.PKI, v *verify.Verifier) error {
	fmt.Fprintln(w, "\n== 5. dstack evidence: event log, app identity, compose, key binding, policy")
	app := &cvmtest.App{}
	ch, err := newDemoChannel()
	if err != nil {
		return err
	}
	attJSON, err := pki.Attestation(app, ch.quoteOptions())
	if err != nil {
		return err
	}
	infoJSON, err := app.Info()
	if err != nil {
		return err
	}
	att, err := wire.ParseAttestation(attJSON)
	if err != nil {
		return err
	}
	info, err := wire.ParseInfo(infoJSON)
	if err != nil {
		return err
	}
	binding := ch.binding()
	report, err := v.VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: info}, binding, nil)
	if err != nil {
		return fmt.Errorf("the genuine evidence was refused: %w", err)
	}
	id := report.Dstack.Identity
	fmt.Fprintf(w, "rtmr replay %v\napp id %x\ncompose hash %x\nos image %x\nkey provider %s\n",
		report.Dstack.RTMRReplayed, id.AppID, id.ComposeHash, id.OSImageHash, id.KeyProvider.Name)
	for _, s := range report.Dstack.Compose.Services {
		fmt.Fprintf(w, "service %s image %s pinned=%v\n", s.Name, s.Image, s.Pinned)
	}

	hash := app.ComposeHash()
	_, _, osImage, _ := app.Identity()
	pol, err := policy.Parse(fmt.Appendf(nil, demoPolicy, osImage, hash, id.AppID), "")
	if err != nil {
		return err
	}
	if err := pol.Check(report); err != nil {
		return fmt.Errorf("the demo policy refused the genuine CVM: %w", err)
	}
	fmt.Fprintln(w, "policy: accepted (UpToDate, OS image, compose hash, app id, pinned images, TLS key bound)")

	fmt.Fprintln(w, "\n== 6. Forgeries")
	forged := *info
	forged.TCBInfo.AppCompose = app.ComposeText() + " "
	_, err = v.VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: &forged}, binding, nil)
	if err := expectKind(w, "a different app-compose.json in /info", err, verify.KindComposeMismatch); err != nil {
		return err
	}

	payloadForged := *att
	payloadForged.EventLog = append([]eventlog.Event(nil), att.EventLog...)
	for i, e := range payloadForged.EventLog {
		if e.Event == "compose-hash" {
			other := sha256.Sum256([]byte("another compose"))
			e.Payload = other[:] // the logged digest is left as it was
			payloadForged.EventLog[i] = e
		}
	}
	_, err = v.VerifyEvidence(ctx, &verify.Evidence{Attestation: &payloadForged}, binding, nil)
	if err := expectKind(w, "a forged compose-hash payload with the old digest", err, verify.KindEventDigestMismatch); err != nil {
		return err
	}

	var otherNonce [32]byte
	replay := ch.binding()
	replay.Nonce = otherNonce[:]
	_, err = v.VerifyEvidence(ctx, &verify.Evidence{Attestation: att}, replay, nil)
	if err := expectKind(w, "the same quote replayed to a new nonce", err, verify.KindStaleNonce); err != nil {
		return err
	}

	mitm := sha256.Sum256([]byte("a man in the middle's key"))
	relay := ch.binding()
	relay.SPKISHA256 = mitm[:]
	_, err = v.VerifyEvidence(ctx, &verify.Evidence{Attestation: att}, relay, nil)
	if err := expectKind(w, "the quote relayed over another TLS key", err, verify.KindKeyBinding); err != nil {
		return err
	}
	return nil
}

// expectKind prints a refusal, or fails when err is not of kind want.
func expectKind(w io.Writer, what string, err error, want verify.Kind) error {
	if got := verify.KindOf(err); got != want {
		return fmt.Errorf("%s: expected refusal %s, got %v", what, want, err)
	}
	fmt.Fprintf(w, "REFUSED %-50s kind %s\n", what+":", want)
	return nil
}
