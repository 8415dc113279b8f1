//go:build !cvmgate_nosim

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"io"
	"time"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

var demoCmd = &command{
	name:    "demo",
	summary: "run a local end-to-end demo on a simulated CVM (no network, no TDX)",
	about: `Makes an Intel-shaped test PKI, a simulated dstack CVM and its quote, serves the
collateral from a fake Intel PCS on loopback, verifies the evidence through the same code
as production, then shows forgeries refused. The test root is trusted only inside the
demo. Builds with -tags ` + noSimTag + ` leave the demo out.`,
	run: runDemo,
	examples: []example{
		{"run it from a clone", "go run ./cmd/cvmgate demo"},
	},
	exits: []exitDoc{
		{exitOK, "every step ended as the demo expects"},
		{exitRefused, "a step did not: the genuine CVM was refused, or a forgery accepted"},
		{exitUsage, "usage error: the demo takes no flags or arguments"},
	},
}

// runDemo implements "cvmgate demo": a simulated CVM with an Intel-shaped
// test PKI, its collateral served by a fake PCS on loopback, verified
// through the same code path as production, then a tampered quote refused.
func runDemo(ctx context.Context, e *env, _ []string) error {
	if err := demo(ctx, e.stdout); err != nil {
		return exitError{exitRefused, err}
	}
	return nil
}

// demo runs the scenario and writes its narration to w. It returns an
// error when any step does not end as the demo expects.
func demo(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()

	fmt.Fprintln(w, "== 1. A simulated CVM")
	pki, err := cvmtest.NewPKI(cvmtest.PKIOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "test PKI: %q -> %q -> %q (FMSPC %s)\n", pki.Root.Subject.CommonName, pki.Intermediate.Subject.CommonName, pki.PCK.Subject.CommonName, pki.FMSPC())

	ch, err := newDemoChannel()
	if err != nil {
		return err
	}
	opts := ch.quoteOptions()
	opts.MRTD = sha512.Sum384([]byte("demo firmware"))
	q, err := pki.QuoteStruct(opts)
	if err != nil {
		return err
	}
	rawQuote, err := q.Marshal()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "quote: %d bytes, REPORTDATA = nonce || SHA-256(TLS SPKI)\n", len(rawQuote))

	fmt.Fprintln(w, "\n== 2. Collateral from a fake Intel PCS on loopback")
	coll, err := pki.Collateral(cvmtest.CollateralOptions{})
	if err != nil {
		return err
	}
	pcs := cvmtest.NewPCSServer(coll, pki)
	defer pcs.Close()
	src, err := collateral.NewPCCS(pcs.URL, collateral.HTTPOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "PCS at %s (the verifier trusts the test root only because this demo says so)\n", pcs.URL)
	v, err := verify.New(verify.Options{
		Collateral:   collateral.NewCache(src, collateral.CacheOptions{}),
		TrustedRoots: []*x509.Certificate{pki.Root},
	})
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "\n== 3. Verify the quote")
	report, err := v.Verify(ctx, rawQuote, nil)
	if err != nil {
		return fmt.Errorf("the genuine quote was refused: %w", err)
	}
	if err := verify.CheckBinding(report.Quote.Body.ReportData, *ch.binding()); err != nil {
		return fmt.Errorf("the genuine quote's binding was refused: %w", err)
	}
	if err := newResult(rawQuote, report, nil, report.VerifiedAt).writeHuman(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "PCS requests so far: %d\n", pcs.TotalRequests())

	fmt.Fprintln(w, "\n== 4. A tampered quote (one bit of RTMR3 flipped)")
	q.Body.RTMR[3][0] ^= 1
	tampered, err := q.Marshal() // not re-signed
	if err != nil {
		return err
	}
	_, err = v.Verify(ctx, tampered, nil)
	if verify.KindOf(err) != verify.KindQuoteSignature {
		return fmt.Errorf("tampered quote: expected %s, got %v", verify.KindQuoteSignature, err)
	}
	fmt.Fprintf(w, "REFUSED, kind %s: %v\n", verify.KindOf(err), err)
	fmt.Fprintf(w, "PCS requests after the second verify: %d (collateral cached until its nextUpdate)\n", pcs.TotalRequests())

	return demoEvidence(ctx, w, pki, v)
}

// demoChannel is a client's fresh nonce and the SPKI hash of the CVM's TLS
// key, the two halves of REPORTDATA.
type demoChannel struct {
	nonce, spkiHash [32]byte
}

// newDemoChannel draws a fresh nonce for a simulated TLS key.
func newDemoChannel() (*demoChannel, error) {
	ch := &demoChannel{spkiHash: sha256.Sum256([]byte("demo TLS key SubjectPublicKeyInfo"))}
	if _, err := rand.Read(ch.nonce[:]); err != nil {
		return nil, err
	}
	return ch, nil
}

// quoteOptions returns quote options whose REPORTDATA is nonce || SPKI hash.
func (ch *demoChannel) quoteOptions() cvmtest.QuoteOptions {
	var opts cvmtest.QuoteOptions
	copy(opts.ReportData[:32], ch.nonce[:])
	copy(opts.ReportData[32:], ch.spkiHash[:])
	return opts
}

// binding returns the client's check of that REPORTDATA.
func (ch *demoChannel) binding() *verify.Binding {
	return &verify.Binding{Mode: verify.BindingSPKI, Nonce: ch.nonce[:], SPKISHA256: ch.spkiHash[:]}
}
