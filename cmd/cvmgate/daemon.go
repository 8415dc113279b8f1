package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// daemonFlags are the flags of the commands that run until stopped
// (monitor, proxy): where trust and collateral come from, how long one
// attestation may take, and how much to log.
type daemonFlags struct {
	src      sourceFlags
	logLevel logLevel
}

// register adds the daemon flags to fs. --at has no meaning for a
// process that verifies as time goes by, and --timeout bounds each
// attestation rather than the command.
func (f *daemonFlags) register(fs *flag.FlagSet) {
	f.src.registerCollateral(fs)
	f.src.registerPCCS(fs)
	f.src.registerTrust(fs)
	fs.DurationVar(&f.src.timeout, "timeout", transport.DefaultAttestationTimeout, "give up one attestation (connection, evidence, collateral, verification) after `DURATION`")
	f.logLevel = logLevel(slog.LevelInfo)
	fs.Var(&f.logLevel, "log-level", "log at `LEVEL` and above: DEBUG, INFO, WARN or ERROR (JSON lines on standard error)")
}

// logger returns the JSON logger of the command, writing to w.
func (f *daemonFlags) logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.Level(f.logLevel)}))
}

// logLevel is the value of --log-level.
type logLevel slog.Level

// logLevels are the names --log-level takes.
var logLevels = []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

// String implements flag.Value.
func (l *logLevel) String() string { return slog.Level(*l).String() }

// Set implements flag.Value: one of the level names, in any case.
func (l *logLevel) Set(s string) error {
	for _, lv := range logLevels {
		if strings.EqualFold(s, lv.String()) {
			*l = logLevel(lv)
			return nil
		}
	}
	return errors.New("unknown level; expected one of DEBUG, INFO, WARN, ERROR")
}

// verifier returns the one Verifier every attestation of the process
// shares, with its collateral and chain caches. Collateral fetched over
// the network (a PCCS, or Intel PCS) is kept in a cache that lets an
// entry go refresh ahead of its nextUpdate: a source with newer
// collateral then replaces it before verdicts have to lapse, and a
// source without (a stale PCCS) keeps showing the old nextUpdate,
// which is what a monitor alerts on. A bundle (--collateral) is used as
// it is.
func (f *daemonFlags) verifier(e *env, refreshAhead time.Duration) (*verify.Verifier, error) {
	if f.src.timeout <= 0 {
		return nil, usagef("--timeout %s: expected a positive duration", f.src.timeout)
	}
	opts, err := f.src.options(e, false)
	if err != nil {
		return nil, err
	}
	if f.src.collateralFile == "" {
		src := opts.Collateral
		if src == nil {
			src = collateral.NewPCS(collateral.HTTPOptions{})
		}
		opts.Collateral = collateral.NewCache(src, collateral.CacheOptions{
			Now: func() time.Time { return time.Now().Add(refreshAhead) },
		})
	}
	v, err := verify.New(opts)
	if err != nil {
		return nil, usageError{err}
	}
	return v, nil
}

// cvmURLExpected says what parseCVMURL accepts, for messages.
const cvmURLExpected = "an https:// URL with a host and no credentials, query or fragment"

// parseCVMURL parses the URL of a CVM that a daemon attests: a monitored
// CVM's, the proxy's upstream. It must be https with a host, and hold
// nothing that would leak (credentials) or that would be dropped or
// misapplied (a query, even an empty one, or a fragment); ok is false
// otherwise.
func parseCVMURL(raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, false
	}
	return u, true
}
