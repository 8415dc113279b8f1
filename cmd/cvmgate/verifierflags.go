package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// pccsEnv names the environment variable that sets the PCCS to fetch
// collateral from when --pccs is not given.
const pccsEnv = "CVMGATE_PCCS_URL"

// defaultTimeout bounds a command that may fetch collateral.
const defaultTimeout = time.Minute

// pccsEnvDoc documents pccsEnv for the commands that read it.
var pccsEnvDoc = envVar{pccsEnv, "PCCS base URL used when neither --pccs nor --collateral is given (for example https://pccs.phala.network); without it, Intel PCS"}

// sourceFlags say where trust and collateral come from, when verification
// happens and how long it may take.
type sourceFlags struct {
	collateralFile string
	pccsURL        string
	at             string
	trustRoot      string
	timeout        time.Duration
}

// register adds every source flag to fs.
func (f *sourceFlags) register(fs *flag.FlagSet) {
	f.registerCollateral(fs)
	f.registerPCCS(fs)
	f.registerTime(fs)
	f.registerTrust(fs)
	f.registerTimeout(fs)
}

// registerCollateral adds --collateral.
func (f *sourceFlags) registerCollateral(fs *flag.FlagSet) {
	fs.StringVar(&f.collateralFile, "collateral", "", "verify offline with the collateral bundle in `FILE` (dcap-qvl/dstack JSON, as 'cvmgate collateral fetch' writes it); - reads standard input")
}

// registerPCCS adds --pccs.
func (f *sourceFlags) registerPCCS(fs *flag.FlagSet) {
	fs.StringVar(&f.pccsURL, "pccs", "", "fetch collateral from the PCCS at `URL` instead of Intel PCS (default $"+pccsEnv+")")
}

// registerTrust adds --trust-root.
func (f *sourceFlags) registerTrust(fs *flag.FlagSet) {
	fs.StringVar(&f.trustRoot, "trust-root", "", "trust the PEM root CA in `FILE` INSTEAD of Intel's (tests and simulations only)")
}

// registerTimeout adds --timeout.
func (f *sourceFlags) registerTimeout(fs *flag.FlagSet) {
	fs.DurationVar(&f.timeout, "timeout", defaultTimeout, "give up after `DURATION` (such as 30s) with exit status 3; 0 for no limit")
}

// registerTime adds --at.
func (f *sourceFlags) registerTime(fs *flag.FlagSet) {
	fs.StringVar(&f.at, "at", "", "verify at `TIME` (RFC 3339 or unix seconds) instead of now, such as the time old evidence and its collateral were current")
}

// withTimeout applies --timeout to ctx.
func (f *sourceFlags) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, f.timeout)
}

// now returns the verification time: --at, or the current time.
func (f *sourceFlags) now() (time.Time, error) {
	if f.at == "" {
		return time.Now(), nil
	}
	return parseTime(f.at)
}

// options builds verifier options: the time, the trusted root and the
// collateral source (--collateral, --pccs, $CVMGATE_PCCS_URL, or Intel
// PCS). noCollateral verifies without any.
func (f *sourceFlags) options(e *env, noCollateral bool) (verify.Options, error) {
	var opts verify.Options
	if f.at != "" {
		t, err := parseTime(f.at)
		if err != nil {
			return opts, err
		}
		opts.Now = func() time.Time { return t }
	}
	if f.trustRoot != "" {
		roots, err := loadRoots(e, f.trustRoot)
		if err != nil {
			return opts, err
		}
		opts.TrustedRoots = roots
	}
	switch {
	case noCollateral && (f.collateralFile != "" || f.pccsURL != ""):
		return opts, usagef("--no-collateral conflicts with --collateral and --pccs: choose whether to use collateral")
	case noCollateral:
		opts.NoCollateral = true
	case f.collateralFile != "" && f.pccsURL != "":
		return opts, usagef("--collateral and --pccs conflict: verify offline with a bundle, or fetch from a PCCS")
	case f.collateralFile != "":
		data, err := readInput(e, "--collateral", f.collateralFile)
		if err != nil {
			return opts, err
		}
		c, err := collateral.ParseBundle(data)
		if err != nil {
			return opts, usagef("--collateral %s: expected a dcap-qvl/dstack collateral bundle: %w", f.collateralFile, err)
		}
		opts.Collateral = collateral.Static(c, "bundle:"+f.collateralFile)
	default:
		src, err := f.remoteSource(e)
		if err != nil {
			return opts, err
		}
		opts.Collateral = src // nil: the verifier's Intel PCS
	}
	return opts, nil
}

// pccs returns the PCCS base URL that --pccs, or else $CVMGATE_PCCS_URL,
// names, and which of the two named it; "" for Intel PCS.
func (f *sourceFlags) pccs(e *env) (name, url string) {
	if f.pccsURL != "" {
		return "--pccs", f.pccsURL
	}
	return "$" + pccsEnv, e.getenv(pccsEnv)
}

// remoteSource returns the PCCS that --pccs or $CVMGATE_PCCS_URL names,
// or nil for Intel PCS.
func (f *sourceFlags) remoteSource(e *env) (collateral.Source, error) {
	name, url := f.pccs(e)
	if url == "" {
		return nil, nil
	}
	src, err := collateral.NewPCCS(url, collateral.HTTPOptions{})
	if err != nil {
		return nil, usagef("%s %s: expected a PCCS base URL such as https://pccs.example.com: %w", name, url, err)
	}
	return src, nil
}

// collateralOrigin names where collateral is fetched from over the
// network, for progress lines; "" when it is not fetched.
func (f *sourceFlags) collateralOrigin(e *env, noCollateral bool) string {
	if noCollateral || f.collateralFile != "" {
		return ""
	}
	if _, url := f.pccs(e); url != "" {
		return url
	}
	return "Intel PCS"
}

// parseTime reads --at: RFC 3339 or unix seconds.
func parseTime(s string) (time.Time, error) {
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--at %q: expected RFC 3339 (2025-07-19T10:00:34Z) or unix seconds", s)
	}
	return t.UTC(), nil
}

// loadRoots reads --trust-root: PEM certificates to trust instead of
// Intel's root.
func loadRoots(e *env, path string) ([]*x509.Certificate, error) {
	data, err := readInput(e, "--trust-root", path)
	if err != nil {
		return nil, err
	}
	var roots []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, usagef("--trust-root %s: expected PEM certificates, found one that does not parse: %w", path, err)
		}
		roots = append(roots, cert)
	}
	if len(roots) == 0 {
		return nil, usagef("--trust-root %s: expected a PEM certificate, found none", path)
	}
	return roots, nil
}

// acceptFlags are --accept and --allow-debug: the minimal policy of a
// verification without a policy file.
type acceptFlags struct {
	statuses   statusList
	allowDebug bool
}

// register adds the acceptance flags to fs.
func (f *acceptFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.statuses, "accept", "also accept TCB `STATUS` besides UpToDate; repeat the flag or separate with commas ("+strings.Join(statusNames(), ", ")+")")
	fs.BoolVar(&f.allowDebug, "allow-debug", false, "accept debug TDs, whose memory the host can read and change (never in production)")
}

// set reports whether either flag was given.
func (f *acceptFlags) set() bool { return len(f.statuses) > 0 || f.allowDebug }

// acceptance returns what the flags accept: UpToDate and every --accept
// status, and StatusUnknown when verifying without collateral, where no
// status is evaluated.
func (f *acceptFlags) acceptance(noCollateral bool) verify.Accept {
	list := []verify.TCBStatus{verify.StatusUpToDate}
	for _, s := range f.statuses {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	if noCollateral && !slices.Contains(list, verify.StatusUnknown) {
		list = append(list, verify.StatusUnknown)
	}
	return verify.Accept{Statuses: list, AllowDebug: f.allowDebug}
}

// describe says, for the report's policy line, what the flags judged of r.
func (f *acceptFlags) describe(a verify.Accept, r *verify.Report) string {
	var parts []string
	if r != nil && r.TCBStatus == verify.StatusUnknown {
		parts = append(parts, "TCB status unknown: not judged without collateral")
	} else if r != nil {
		parts = append(parts, fmt.Sprintf("TCB status %s accepted (--accept: %s)", r.TCBStatus, joinStatuses(a.Statuses, verify.StatusUnknown)))
	}
	if a.AllowDebug {
		parts = append(parts, "debug TDs allowed (--allow-debug)")
	} else {
		parts = append(parts, "not a debug TD")
	}
	return strings.Join(parts, "; ")
}

// statusList is the value of --accept: TCB status names, comma-separated
// or repeated, each added to the list.
type statusList []verify.TCBStatus

// String implements flag.Value.
func (l *statusList) String() string { return joinStatuses(*l) }

// Set implements flag.Value: it adds every name of s, refusing unknown
// ones with the list of valid names. Names match without regard to case.
func (l *statusList) Set(s string) error {
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i := slices.IndexFunc(verify.Statuses(), func(st verify.TCBStatus) bool { return strings.EqualFold(string(st), name) })
		if i < 0 {
			return fmt.Errorf("unknown TCB status; expected one of: %s", strings.Join(statusNames(), ", "))
		}
		*l = append(*l, verify.Statuses()[i])
	}
	return nil
}

// statusNames returns the names --accept takes.
func statusNames() []string {
	var out []string
	for _, s := range verify.Statuses() {
		out = append(out, string(s))
	}
	return out
}

// joinStatuses joins statuses with commas, leaving out those in skip.
func joinStatuses(list []verify.TCBStatus, skip ...verify.TCBStatus) string {
	var parts []string
	for _, s := range list {
		if !slices.Contains(skip, s) {
			parts = append(parts, string(s))
		}
	}
	return strings.Join(parts, ",")
}

// outputFlags are --json and --quiet.
type outputFlags struct {
	json  bool
	quiet bool
}

// register adds the output flags to fs.
func (f *outputFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print one JSON object (schema: docs/json.md) on standard output, for exit statuses 0, 1 and 3")
	fs.BoolVar(&f.quiet, "quiet", false, "print no report: the exit status says it all; a refusal is one line on standard error")
}
