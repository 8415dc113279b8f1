package main

import (
	"context"
	"flag"
	"io"

	"github.com/cvmgate/cvmgate/verify"
)

var quoteVerifyCmd = &command{
	name:     "quote verify",
	summary:  "verify a TDX quote (DCAP) against Intel's root and collateral",
	synopsis: "--quote FILE [--collateral FILE | --pccs URL] [--at TIME] [--accept STATUS] [--json | --quiet]",
	about: `Verifies the quote's signatures and PCK certificate chain up to Intel's root, fetches
and verifies the platform's collateral (TCB info, QE identity, CRLs), rates the TCB and
accepts it when its status is UpToDate or one that --accept adds. It judges the quote
alone: for a dstack CVM's event log, app and key binding use 'evidence verify'.

--quote reads ` + quoteFormats + `; - reads standard input.`,
	flags: quoteVerifyFlags,
	examples: []example{
		{"verify against Intel PCS now", "cvmgate quote verify --quote quote.hex"},
		{"verify offline, at the time the bundle was current, for CI", "cvmgate quote verify --quote quote.hex --collateral collateral.json --at 2025-07-19T10:00:34Z --json"},
		{"a quote from a guest agent's GetQuote answer, on standard input, through a PCCS", "curl -s ... | cvmgate quote verify --quote - --pccs https://pccs.phala.network"},
		{"also accept a platform that needs a software hardening update", "cvmgate quote verify --quote q.bin --accept SWHardeningNeeded"},
	},
	exits: []exitDoc{
		{exitOK, "the quote verified and its TCB status is accepted"},
		{exitRefused, "the quote was examined and refused (malformed included), with error.kind in --json"},
		{exitUsage, "usage or local input error: a flag, an unreadable file, a bundle that does not parse"},
		{exitNoVerdict, "no verdict: collateral unavailable (network, PCCS down) or --timeout"},
	},
	envVars: []envVar{pccsEnvDoc},
}

// quoteVerifyFlags registers the flags of "quote verify".
func quoteVerifyFlags(fs *flag.FlagSet) runFunc {
	var (
		sf        sourceFlags
		af        acceptFlags
		of        outputFlags
		quoteFile string
	)
	fs.StringVar(&quoteFile, "quote", "", "the quote in `FILE`: raw, hex, base64, or JSON with a \"quote\" field; - reads standard input (required)")
	sf.register(fs)
	af.register(fs)
	of.register(fs)
	return func(ctx context.Context, e *env, _ []string) error {
		if quoteFile == "" {
			return usagef("--quote FILE is required: the quote to verify")
		}
		at, err := sf.now()
		if err != nil {
			return err
		}
		opts, err := sf.options(e, false)
		if err != nil {
			return err
		}
		v, err := verify.New(opts)
		if err != nil {
			return usageError{err}
		}
		raw, err := loadQuote(e, quoteFile)
		if isUsage(err) {
			return err
		}
		var res *result
		if err != nil {
			res = unreadResult(err, verify.QuoteCheckNames(), at)
		} else {
			ctx, cancel := sf.withTimeout(ctx)
			defer cancel()
			accept := af.acceptance(false)
			if o := sf.collateralOrigin(e, false); o != "" {
				progress(e, of.quiet || of.json, "verifying, collateral from %s", o)
			}
			report, verr := v.Verify(ctx, raw, accept)
			res = newResult(raw, report, verr, at)
			if verr == nil {
				res.note(verify.CheckPolicy, af.describe(accept, report))
			}
		}
		return emit(e, of, res, res.err, func(w io.Writer) error { return res.writeHuman(w) })
	}
}
