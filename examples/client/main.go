// Command client calls an app in a dstack CVM only after verifying what
// runs there: its quote against Intel's root, its event log, its compose
// hash and the TLS key of the connection, all against a policy file.
//
//	go run ./examples/client --policy policy.yaml https://<app-id>-443s.<gateway>/api
//
// Write the policy with `cvmgate policy init`, and review it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

func main() {
	policyFile := flag.String("policy", "policy.yaml", "the policy the CVM must satisfy")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: client --policy FILE URL")
	}
	pol, err := policy.Load(*policyFile)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, pol, flag.Arg(0)); err != nil {
		log.Fatal(err)
	}
}

// run fetches url through a verifying transport and prints the answer and
// who gave it. opts add to the transport's defaults (tests trust a test
// PKI with them).
func run(ctx context.Context, w io.Writer, pol *policy.Policy, url string, opts ...transport.Option) error {
	t, err := transport.New(pol, opts...)
	if err != nil {
		return err
	}
	defer t.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := t.Client().Do(req)
	if ae := (*transport.AttestationError)(nil); errors.As(err, &ae) {
		return fmt.Errorf("refused %s (%s at %s): %w", ae.Origin, verify.KindOf(err), ae.Step, err)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	v, _ := transport.VerdictFor(resp)
	fmt.Fprintf(w, "%s %s\n", resp.Status, body)
	fmt.Fprintf(w, "verified %s: app %x, compose %x, TCB %s, binding %s, until %s\n",
		v.Origin, v.AppID, v.ComposeHash, v.TCBStatus, v.Binding, v.Expires.UTC().Format(time.RFC3339))
	return nil
}
