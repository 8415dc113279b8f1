package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"net/url"
	"time"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/remote"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

var verifyCmd = &command{
	name:     "verify",
	summary:  "verify a live CVM end to end: quote, collateral, event log, compose, TLS key binding, policy",
	synopsis: "URL (--policy FILE | --no-policy) [--collateral FILE | --pccs URL] [--remote-verifier URL] [--save-evidence DIR] [--json | --quiet]",
	args:     []string{"URL"},
	about: `Connects to the CVM at URL (https) and verifies it through the same code as the Go
transport: a fresh 32-byte nonce, GET /attestation and /info over that TLS connection, the
quote against Intel's root and current collateral, the event log replayed against RTMR0-3,
the app compose against the attested compose hash, REPORTDATA against the nonce and the
connection's TLS key, and the policy. It prints every check with what it proves and the
attack it stops, then the CVM's identity (app id, compose hash, OS image, KMS, TCB).

The policy says which app is accepted. Without --policy the CVM is still verified and
described, but it is refused (exit 1): nothing is accepted that no policy allowed.
--no-policy accepts any app whose evidence verifies; --accept, --allow-debug and --binding
then say which TCB statuses, whether debug TDs, and which channel binding.

--save-evidence DIR writes the documents and the collateral the verification used, and
replay.sh, which replays it offline with 'cvmgate evidence verify' (same nonce, TLS key,
collateral and time): a failure in CI can be examined later, anywhere.

--remote-verifier URL also sends the quote to a hosted verifier (Phala Cloud's is
` + remote.PhalaURL + `)
for a second opinion on the quote itself. Local verification decides; a remote verifier
that refuses a quote local verification accepted makes the result a refusal of kind
remote_disagreement (exit 1). One that cannot answer changes nothing; its verdict is shown
as none. It trusts only Intel's root, so it refuses every simulator quote.

--trust-root trusts a test root INSTEAD of Intel's: for 'cvmgate simulate' only; verify
says so on standard error. With binding none (policy or --binding) the CVM's certificate is
validated by WebPKI, with the system's roots or --ca-cert; --webpki requires that with any
binding.`,
	flags: verifyFlags,
	examples: []example{
		{"verify a CVM against a policy", "cvmgate verify https://app.example --policy policy.yaml"},
		{"with Phala's verifier as a second opinion, JSON for CI", "cvmgate verify https://app.example --policy policy.yaml --remote-verifier " + remote.PhalaURL + " --json"},
		{"keep what a failing verification used, and replay it offline", "cvmgate verify https://app.example --policy policy.yaml --save-evidence ./evidence; sh ./evidence/replay.sh"},
		{"describe a CVM without judging its app", "cvmgate verify https://app.example --no-policy"},
		{"a local simulator (cvmgate simulate --write-trust ./sim)", "cvmgate verify https://127.0.0.1:8443 --trust-root ./sim/root.pem --collateral ./sim/collateral.json --policy ./sim/policy.yaml"},
	},
	exits: []exitDoc{
		{exitOK, "the CVM verified and the policy (or --no-policy with --accept) accepts it"},
		{exitRefused, "refused: a failed check, a policy violation, no policy given, malformed evidence, a remote verifier's disagreement"},
		{exitUsage, "usage or local input error: a flag, not an https URL, an unreadable file, an invalid policy"},
		{exitNoVerdict, "no verdict: the CVM or the collateral could not be reached, or --timeout passed"},
	},
	envVars: []envVar{pccsEnvDoc},
}

// liveFlags are the flags of "verify".
type liveFlags struct {
	sf         sourceFlags
	af         acceptFlags
	of         outputFlags
	policyFile string
	noPolicy   bool
	binding    string
	caCert     string
	webPKI     bool
	saveDir    string
	remoteURL  string
}

// verifyFlags registers the flags of "verify".
func verifyFlags(fs *flag.FlagSet) runFunc {
	f := &liveFlags{}
	fs.StringVar(&f.policyFile, "policy", "", "the policy (YAML or JSON) in `FILE` the CVM must satisfy")
	fs.BoolVar(&f.noPolicy, "no-policy", false, "accept any app whose evidence verifies: judge only --accept, --allow-debug and --binding")
	f.af.register(fs)
	fs.StringVar(&f.binding, "binding", "", "without --policy, the channel binding `MODE` required: spki (default: the quote names this TLS key), ratls, or none (nonce only, WebPKI authenticates the server)")
	f.sf.registerCollateral(fs)
	f.sf.registerPCCS(fs)
	f.sf.registerTrust(fs)
	f.sf.registerTimeout(fs)
	fs.StringVar(&f.caCert, "ca-cert", "", "validate the CVM's TLS certificate with the PEM CA certificates in `FILE` instead of the system's (binding none, --webpki)")
	fs.BoolVar(&f.webPKI, "webpki", false, "also require the CVM's TLS certificate to be valid for its host name under WebPKI, whatever the binding")
	fs.StringVar(&f.saveDir, "save-evidence", "", "write the attestation, info and collateral used and a replay script to `DIR` (made if missing)")
	fs.StringVar(&f.remoteURL, "remote-verifier", "", "also ask the hosted verifier at `URL` for a second opinion on the quote, such as "+remote.PhalaURL)
	f.of.register(fs)
	return f.run
}

// run implements "verify URL".
func (f *liveFlags) run(ctx context.Context, e *env, args []string) error {
	target, err := checkCVMURL(args[0])
	if err != nil {
		return err
	}
	pol, err := f.policy(e)
	if err != nil {
		return err
	}
	opts, err := f.sf.options(e, false)
	if err != nil {
		return err
	}
	rec := recordCollateral(&opts)
	if origin := f.sf.collateralOrigin(e, false); origin != "" {
		rec.onFetch = func() { progress(e, f.quiet(), "fetching collateral from %s", origin) }
	}
	topts, err := f.transportOptions(e, opts)
	if err != nil {
		return err
	}
	tr, err := transport.New(pol, topts...)
	if err != nil {
		return usageError{err}
	}
	defer tr.CloseIdleConnections()
	var rc *remote.Client
	if f.remoteURL != "" {
		if rc, err = remote.New(f.remoteURL, remote.Options{}); err != nil {
			return usagef("--remote-verifier %s: %w", f.remoteURL, err)
		}
	}
	if f.sf.trustRoot != "" && !f.of.quiet {
		fmt.Fprintf(e.stderr, "cvmgate verify: WARNING: trusting the TEST root in %s INSTEAD of Intel's root: only a simulator's quotes verify under it; never use --trust-root in production\n", f.sf.trustRoot)
	}

	ctx, cancel := f.sf.withTimeout(ctx)
	defer cancel()
	started := time.Now()
	progress(e, f.quiet(), "attesting %s: fresh nonce, quote, event log", target)
	a, verr := tr.Attest(ctx, target)
	if verr == nil && f.policyFile == "" && !f.noPolicy {
		verr = &verify.Error{Kind: verify.KindPolicy, Check: string(verify.CheckPolicy), Err: errNoPolicy, Report: a.Report}
	}
	res := newLiveResult(target, a, verr, started)
	res.describePolicy(f.policyFile, f.noPolicy, &f.af, pol)
	if rc != nil {
		progress(e, f.quiet(), "asking the remote verifier %s", rc.URL())
		res.askRemote(ctx, rc)
	}
	if f.saveDir != "" {
		if err := res.save(e, f, pol, opts.TrustedRoots, rec.collateral()); err != nil {
			return err
		}
	}
	return emit(e, f.of, res, res.err, res.writeHuman)
}

// quiet reports whether progress lines are off.
func (f *liveFlags) quiet() bool { return f.of.quiet || f.of.json }

// checkCVMURL checks that raw is an https URL with a host.
func checkCVMURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", usagef("URL %q: expected the CVM's https URL, such as https://app.example or https://127.0.0.1:8443 (the TLS connection is what gets attested)", raw)
	}
	return u.String(), nil
}

// policy returns the policy the transport judges by: --policy's, or for
// --no-policy (and without either, before the refusal) one that accepts
// any app with what --accept, --allow-debug and --binding say.
func (f *liveFlags) policy(e *env) (*policy.Policy, error) {
	switch {
	case f.policyFile != "" && f.noPolicy:
		return nil, usagef("--policy and --no-policy conflict: give a policy, or say that none is wanted")
	case f.policyFile != "" && (f.af.set() || f.binding != ""):
		return nil, usagef("--accept, --allow-debug and --binding conflict with --policy: the policy says what it accepts (tcb.accept, tcb.allow_debug, channel.binding)")
	case f.policyFile != "":
		return loadPolicy(e, "--policy", f.policyFile)
	}
	switch verify.BindingMode(f.binding) {
	case "", verify.BindingSPKI, verify.BindingRATLS, verify.BindingNone:
	default:
		return nil, usagef("--binding %q: expected spki, ratls or none", f.binding)
	}
	acc := f.af.acceptance(false)
	p := f.anyAppPolicy(policy.TCB{Accept: policy.List[verify.TCBStatus](acc.Statuses), AllowDebug: acc.AllowDebug})
	if err := p.Validate(); err != nil {
		return nil, usageError{err}
	}
	return p, nil
}

// anyAppPolicy returns a policy that accepts any app whose evidence
// verifies, with tcb and the channel binding --binding names (spki by
// default), for the caller to validate.
func (f *liveFlags) anyAppPolicy(tcb policy.TCB) *policy.Policy {
	mode := verify.BindingSPKI
	if f.binding != "" {
		mode = verify.BindingMode(f.binding)
	}
	return &policy.Policy{
		Version:     policy.Version,
		TCB:         tcb,
		App:         policy.App{Any: true},
		Channel:     policy.Channel{Binding: mode},
		Attestation: policy.Attestation{MaxAge: policy.DefaultMaxAge},
	}
}

// transportOptions are the transport's verifier options, timeout and
// WebPKI settings.
func (f *liveFlags) transportOptions(e *env, opts verify.Options) ([]transport.Option, error) {
	timeout := f.sf.timeout
	if timeout <= 0 {
		timeout = noTimeout
	}
	out := []transport.Option{transport.WithVerifyOptions(opts), transport.WithAttestationTimeout(timeout)}
	if f.caCert != "" {
		pool, err := loadCAPool(e, f.caCert)
		if err != nil {
			return nil, err
		}
		out = append(out, transport.WithRootCAs(pool))
	}
	if f.webPKI {
		out = append(out, transport.WithWebPKI())
	}
	return out, nil
}

// noTimeout stands for --timeout 0 where a bound is needed.
const noTimeout = 100 * 365 * 24 * time.Hour

// loadCAPool reads --ca-cert: PEM certificates for WebPKI validation.
func loadCAPool(e *env, path string) (*x509.CertPool, error) {
	data, err := readInput(e, "--ca-cert", path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, usagef("--ca-cert %s: expected PEM certificates, found none", path)
	}
	return pool, nil
}

// quoteOf returns the quote of an attestation document, or nil.
func quoteOf(doc []byte) []byte {
	if doc == nil {
		return nil
	}
	att, err := wire.ParseAttestation(doc)
	if err != nil {
		return nil
	}
	return att.Quote
}
