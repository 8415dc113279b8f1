package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/cvmgate/cvmgate/verify"
)

var collateralFetchCmd = &command{
	name:     "collateral fetch",
	summary:  "fetch and verify the collateral of a quote's platform into an offline bundle",
	synopsis: "--quote FILE [--pccs URL] --out FILE [--quiet]",
	about: `Fetches the collateral a quote's verification needs (TCB info, QE identity, PCK CRL and
root CA CRL) from Intel PCS or a PCCS, verifies it as 'quote verify' does, and writes it
as one JSON bundle in the dcap-qvl/dstack format. 'quote verify --collateral' and
'evidence verify --collateral' then verify offline, in an air-gapped CI job for example,
until the bundle's next update.

The quote names the platform (FMSPC and PCK CA from its PCK certificate). Its own checks
beyond the collateral (a revoked platform, an unsupported TCB level) do not stop the
bundle from being written; they are reported on standard error. An existing --out file
is replaced.`,
	flags: collateralFetchFlags,
	examples: []example{
		{"a bundle from Intel PCS, then verification offline", "cvmgate collateral fetch --quote quote.hex --out collateral.json\n  cvmgate quote verify --quote quote.hex --collateral collateral.json"},
		{"through a PCCS", "CVMGATE_PCCS_URL=https://pccs.phala.network cvmgate collateral fetch --quote quote.hex --out collateral.json"},
	},
	exits: []exitDoc{
		{exitOK, "the bundle was written"},
		{exitRefused, "the quote or the collateral was examined and refused (malformed, bad signature, expired, another platform's)"},
		{exitUsage, "usage or local input error: a flag, an unreadable --quote, an --out that cannot be written"},
		{exitNoVerdict, "the collateral could not be fetched: network, PCCS down, --timeout"},
	},
	envVars: []envVar{pccsEnvDoc},
}

// collateralFetchFlags registers the flags of "collateral fetch".
func collateralFetchFlags(fs *flag.FlagSet) runFunc {
	var (
		sf             sourceFlags
		quoteFile, out string
		quiet          bool
	)
	fs.StringVar(&quoteFile, "quote", "", "the quote in `FILE` whose platform's collateral to fetch: raw, hex, base64, or JSON with a \"quote\" field; - reads standard input (required)")
	fs.StringVar(&out, "out", "", "write the bundle to `FILE`; - writes standard output (required)")
	sf.registerPCCS(fs)
	sf.registerTime(fs)
	sf.registerTrust(fs)
	sf.registerTimeout(fs)
	fs.BoolVar(&quiet, "quiet", false, "print nothing on success")
	return func(ctx context.Context, e *env, _ []string) error {
		switch {
		case quoteFile == "":
			return usagef("--quote FILE is required: the quote whose platform needs collateral")
		case out == "":
			return usagef("--out FILE is required: where to write the bundle (- for standard output)")
		}
		opts, err := sf.options(e, false)
		if err != nil {
			return err
		}
		rec := recordCollateral(&opts)
		v, err := verify.New(opts)
		if err != nil {
			return usageError{err}
		}
		raw, err := loadQuote(e, quoteFile)
		if err != nil {
			return err
		}
		ctx, cancel := sf.withTimeout(ctx)
		defer cancel()
		progress(e, quiet, "fetching collateral from %s", rec.Source.ID())
		report, verr := v.Verify(ctx, raw, verify.Accept{Statuses: verify.Statuses(), AllowDebug: true})
		report = reportOf(report, verr)
		if !collateralVerified(report) {
			return verr
		}
		bundle, err := rec.collateral().MarshalBundle()
		if err != nil {
			return usageError{err}
		}
		if err := writeOutput(e, "--out", out, bundle, true); err != nil {
			return err
		}
		if !quiet {
			summarizeBundle(e, out, report, verr)
		}
		return nil
	}
}

// collateralVerified reports whether the collateral check of report
// passed, whatever became of the checks after it.
func collateralVerified(report *verify.Report) bool {
	if report == nil {
		return false
	}
	c, ok := report.Check(verify.CheckCollateral)
	return ok && c.Outcome == verify.Passed
}

// summarizeBundle says on stderr what was written, until when it is good
// (report), and what became of the quote's own checks (verr).
func summarizeBundle(e *env, out string, report *verify.Report, verr error) {
	if out == "-" {
		out = "standard output"
	}
	fmt.Fprintf(e.stderr, "wrote %s: collateral for FMSPC %s (%s CA), current until %s\n",
		out, report.FMSPC, report.PCKCA, report.CollateralNextUpdate.UTC().Format(time.RFC3339))
	if verr != nil {
		fmt.Fprintf(e.stderr, "warning: the quote itself is refused with this collateral: %s\n", describe(verr))
	}
}
