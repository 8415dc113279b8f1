package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// runQuoteVerify implements "cvmgate quote verify".
func runQuoteVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cvmgate quote verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var vf verifierFlags
	vf.register(fs)
	quoteFile := fs.String("quote", "", "quote file: raw bytes, hex, or JSON with a \"quote\" field (required)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *quoteFile == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "cvmgate quote verify: --quote FILE is required and no arguments are taken")
		return exitUsage
	}
	raw, err := loadQuote(*quoteFile)
	if err != nil {
		return usageFailure(stderr, err)
	}
	opts, err := vf.options(false)
	if err != nil {
		return usageFailure(stderr, err)
	}
	accept, err := vf.acceptance()
	if err != nil {
		return usageFailure(stderr, err)
	}
	v, err := verify.New(opts)
	if err != nil {
		return usageFailure(stderr, err)
	}
	report, verr := v.Verify(ctx, raw, accept)
	res := newResult(raw, report, verr)
	if err := res.write(stdout, vf.jsonOut); err != nil {
		return usageFailure(stderr, err)
	}
	return res.exitCode(verr)
}

// loadQuote reads a quote file: raw bytes, hex text, or a JSON object with a
// "quote" field holding hex.
func loadQuote(path string) ([]byte, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var obj struct {
			Quote *string `json:"quote"`
		}
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			return nil, usagef("quote file %s: %w", path, err)
		}
		if obj.Quote == nil {
			return nil, usagef("quote file %s: JSON has no \"quote\" field", path)
		}
		data = []byte(*obj.Quote)
	}
	raw, err := quote.Decode(data)
	if err != nil {
		return nil, usagef("quote file %s: %w", path, err)
	}
	return raw, nil
}

// usageFailure prints err and returns the exit code for it: 2 for usage and
// I/O errors, 1 for anything else.
func usageFailure(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "cvmgate:", err)
	var verr *verify.Error
	if errors.As(err, &verr) && !isUsage(err) {
		return exitRejected
	}
	return exitUsage
}
