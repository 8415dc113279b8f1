package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// verifierFlags are the flags shared by every command that verifies a quote.
type verifierFlags struct {
	collateralFile string
	pccsURL        string
	at             string
	trustRoot      string
	accept         string
	allowDebug     bool
	jsonOut        bool
}

// register adds the shared flags to fs.
func (f *verifierFlags) register(fs *flag.FlagSet) {
	f.registerSources(fs)
	fs.StringVar(&f.accept, "accept", string(verify.StatusUpToDate), "comma-separated TCB statuses to accept")
	fs.BoolVar(&f.allowDebug, "allow-debug", false, "accept debug TDs")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object")
}

// registerSources adds the flags that say where trust and collateral come
// from and when verification happens, without the acceptance flags.
func (f *verifierFlags) registerSources(fs *flag.FlagSet) {
	fs.StringVar(&f.collateralFile, "collateral", "", "offline collateral bundle (dcap-qvl/dstack JSON); without it, fetch from --pccs or Intel PCS")
	fs.StringVar(&f.pccsURL, "pccs", "", "PCCS base URL to fetch collateral from (default: Intel PCS)")
	fs.StringVar(&f.at, "at", "", "verification time, RFC 3339 or unix seconds (default: now)")
	fs.StringVar(&f.trustRoot, "trust-root", "", "PEM root CA to trust INSTEAD of Intel's (tests only)")
}

// accept builds what the flags accept: --accept and --allow-debug.
func (f *verifierFlags) acceptance() (verify.Accept, error) {
	statuses, err := parseStatuses(f.accept)
	if err != nil {
		return verify.Accept{}, err
	}
	return verify.Accept{Statuses: statuses, AllowDebug: f.allowDebug}, nil
}

// options builds verifier options from the flags. noCollateral skips
// collateral entirely (evidence verify --no-collateral).
func (f *verifierFlags) options(noCollateral bool) (verify.Options, error) {
	var opts verify.Options
	if f.at != "" {
		t, err := parseTime(f.at)
		if err != nil {
			return opts, err
		}
		opts.Now = func() time.Time { return t }
	}
	if f.trustRoot != "" {
		roots, err := loadRoots(f.trustRoot)
		if err != nil {
			return opts, err
		}
		opts.TrustedRoots = roots
	}
	switch {
	case noCollateral && (f.collateralFile != "" || f.pccsURL != ""):
		return opts, usagef("--no-collateral conflicts with --collateral and --pccs")
	case noCollateral:
		opts.NoCollateral = true
	case f.collateralFile != "" && f.pccsURL != "":
		return opts, usagef("--collateral and --pccs are exclusive")
	case f.collateralFile != "":
		data, err := readFile(f.collateralFile)
		if err != nil {
			return opts, err
		}
		c, err := collateral.ParseBundle(data)
		if err != nil {
			return opts, usagef("collateral bundle %s: %w", f.collateralFile, err)
		}
		opts.Collateral = collateral.Static(c, "bundle:"+f.collateralFile)
	case f.pccsURL != "":
		src, err := collateral.NewPCCS(f.pccsURL, collateral.HTTPOptions{})
		if err != nil {
			return opts, usagef("--pccs: %w", err)
		}
		opts.Collateral = src
	}
	return opts, nil
}

// parseTime reads RFC 3339 or unix seconds.
func parseTime(s string) (time.Time, error) {
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--at %q: want RFC 3339 or unix seconds", s)
	}
	return t, nil
}

// knownStatuses are the names --accept takes.
var knownStatuses = verify.Statuses()

// parseStatuses reads a comma-separated status list, refusing unknown names.
func parseStatuses(s string) ([]verify.TCBStatus, error) {
	var out []verify.TCBStatus
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		status := verify.TCBStatus(name)
		if !slices.Contains(knownStatuses, status) {
			return nil, usagef("--accept: unknown TCB status %q", name)
		}
		out = append(out, status)
	}
	if len(out) == 0 {
		return nil, usagef("--accept: no status given")
	}
	return out, nil
}

// loadRoots reads PEM certificates to trust instead of Intel's root.
func loadRoots(path string) ([]*x509.Certificate, error) {
	data, err := readFile(path)
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
			return nil, usagef("--trust-root %s: %w", path, err)
		}
		roots = append(roots, cert)
	}
	if len(roots) == 0 {
		return nil, usagef("--trust-root %s: no PEM certificate", path)
	}
	return roots, nil
}
