package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/transport"
)

// Defaults of the proxy.
const (
	defaultProxyListen = "127.0.0.1:8080"
	// defaultMaxBody bounds a request body.
	defaultMaxBody = 64 << 20
	// defaultResponseTimeout bounds the wait for the upstream's response
	// headers (not the body, which may stream for as long as it likes):
	// long enough for a model that answers only once done.
	defaultResponseTimeout = 5 * time.Minute
	// proxyShutdownGrace is how long a stopping proxy lets requests in
	// progress finish; upgraded connections (WebSocket) are closed then.
	proxyShutdownGrace = 10 * time.Second
	// proxyIdleConns bounds the idle connections kept to the upstream.
	proxyIdleConns = 64
)

var proxyCmd = &command{
	name:     "proxy",
	summary:  "a local reverse proxy that forwards only to an attested CVM, for clients in any language",
	synopsis: "--upstream URL --policy FILE [--listen ADDR] [flags]",
	about: `Listens on --listen (loopback by default) and forwards every request to --upstream
through the attested transport: a request reaches the CVM only over a TLS connection
whose key was attested by a fresh quote that verified against Intel's root (or
--trust-root) and the policy, so that a curl, Python or Node client on the same host
gets the guarantee a Go client of the library gets. Point the client at
http://127.0.0.1:8080 instead of the CVM's https URL.

A request the upstream could not get is answered by the proxy with a JSON body
{"schema_version", "kind", "message", "origin", "hint"} (docs/json.md, proxy-error):
502 when the CVM failed attestation (kind names why, such as policy or key_binding) or
could not be reached, 504 when it did not answer in time, 413 for a request body beyond
--max-body. Responses stream as they come; WebSocket upgrades become two-way tunnels.
Each forwarded response carries the verdict of the key that answered: Cvmgate-App-Id,
Cvmgate-Compose-Hash, Cvmgate-Tcb-Status, Cvmgate-Spki-Sha256, Cvmgate-Verdict-Expires
(the upstream's own Cvmgate-* headers are dropped).

The upstream is attested at start and again before each verdict lapses; a CVM that
fails is retried after a short, growing backoff. Anyone who can reach the listening
address gets the attested channel without attesting anything: listening beyond
loopback is logged as a warning. SIGINT and SIGTERM stop the proxy cleanly (exit
status 0), letting requests in progress finish.`,
	flags: proxyFlags,
	examples: []example{
		{"a sidecar for a Phala Cloud app (TLS passthrough: the 's' suffix)", "cvmgate proxy --upstream https://<app-id>-443s.dstack-prod5.phala.network --policy policy.yaml"},
		{"then, from any client on the host", "curl http://127.0.0.1:8080/v1/models"},
		{"against 'cvmgate simulate --write-trust sim'", "cvmgate proxy --upstream https://127.0.0.1:8443 --policy sim/policy.yaml --trust-root sim/root.pem --collateral sim/collateral.json"},
	},
	exits: []exitDoc{
		{exitOK, "stopped by SIGINT or SIGTERM"},
		{exitUsage, "usage or local input error: a flag, the policy file, the listening address"},
	},
	envVars: []envVar{pccsEnvDoc},
}

// proxyRun is what the flags of "proxy" set.
type proxyRun struct {
	daemon          daemonFlags
	listen          string
	upstream        string
	policy          string
	maxBody         byteSize
	responseTimeout time.Duration
}

// proxyFlags registers the flags of "proxy".
func proxyFlags(fs *flag.FlagSet) runFunc {
	r := &proxyRun{maxBody: defaultMaxBody}
	fs.StringVar(&r.listen, "listen", defaultProxyListen, "listen for clients on `ADDR` (host:port; keep it on loopback)")
	fs.StringVar(&r.upstream, "upstream", "", "forward to the CVM at `URL` (https; a path is prefixed to every request's)")
	fs.StringVar(&r.policy, "policy", "", "the policy `FILE` the upstream must satisfy")
	fs.Var(&r.maxBody, "max-body", "refuse request bodies larger than `SIZE` (bytes, or with K, M or G: 64M) with 413")
	fs.DurationVar(&r.responseTimeout, "response-timeout", defaultResponseTimeout, "answer 504 when the upstream sends no response headers within `DURATION`")
	r.daemon.register(fs)
	return r.run
}

// run implements "cvmgate proxy".
func (r *proxyRun) run(ctx context.Context, e *env, _ []string) error {
	upstream, err := r.checkFlags()
	if err != nil {
		return err
	}
	pol, err := loadPolicy(e, "--policy", r.policy)
	if err != nil {
		return err
	}
	v, err := r.daemon.verifier(e, time.Hour)
	if err != nil {
		return err
	}
	log := r.daemon.logger(e.stderr)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = r.responseTimeout
	base.MaxIdleConnsPerHost = proxyIdleConns
	tr, err := transport.New(pol, transport.WithVerifier(v), transport.WithBaseTransport(base),
		transport.WithAttestationTimeout(r.daemon.src.timeout), transport.WithLogger(log))
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", r.listen)
	if err != nil {
		return usagef("--listen %s: %w", r.listen, err)
	}
	return serveProxy(ctx, ln, upstream, tr, log, int64(r.maxBody))
}

// checkFlags checks the flags and returns the upstream URL.
func (r *proxyRun) checkFlags() (*url.URL, error) {
	switch {
	case r.upstream == "":
		return nil, usagef("--upstream is required: the https URL of the CVM to forward to")
	case r.policy == "":
		return nil, usagef("--policy is required: the policy the upstream must satisfy (write one with 'cvmgate policy init')")
	case r.maxBody <= 0:
		return nil, usagef("--max-body %d: expected a positive size", r.maxBody)
	case r.responseTimeout <= 0:
		return nil, usagef("--response-timeout %s: expected a positive duration", r.responseTimeout)
	}
	u, ok := parseCVMURL(r.upstream)
	if !ok {
		return nil, usagef("--upstream %s: expected %s", r.upstream, cvmURLExpected)
	}
	return u, nil
}

// serveProxy serves the proxy on ln until ctx ends, then lets requests in
// progress finish for proxyShutdownGrace and closes upgraded connections.
func serveProxy(ctx context.Context, ln net.Listener, upstream *url.URL, tr *transport.Transport, log *slog.Logger, maxBody int64) error {
	conns, closeConns := context.WithCancel(context.WithoutCancel(ctx))
	defer closeConns()
	srv := &http.Server{
		Handler:           newProxyHandler(upstream, tr, log, maxBody),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Requests, and the tunnels of upgraded ones, end when conns does.
		BaseContext: func(net.Listener) context.Context { return conns },
	}
	addr := ln.Addr().String()
	log.Info("proxy listening", slog.String("addr", addr), slog.String("upstream", upstream.String()))
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		log.Warn("listening beyond loopback: anyone who can reach "+addr+" gets the attested channel to the upstream without attesting anything; listen on 127.0.0.1 unless every host that can reach it is trusted",
			slog.String("addr", addr))
	}
	go func() {
		// Attest at once, so that the log says early whether the upstream
		// passes; the transport logs the outcome.
		_, _ = tr.Attest(ctx, upstream.String())
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("proxy: %w", err)
	case <-ctx.Done():
	}
	log.Info("proxy stopping")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), proxyShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	closeConns()
	tr.CloseIdleConnections()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("proxy: %w", err)
	}
	log.Info("proxy stopped")
	return nil
}

// byteSize is a size flag: bytes, or a number with K, M or G (powers of
// 1024), optionally followed by "iB" or "B".
type byteSize int64

// String implements flag.Value.
func (b *byteSize) String() string { return formatBytes(int64(*b)) }

// Set implements flag.Value.
func (b *byteSize) Set(s string) error {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	shift := 0
	switch {
	case strings.HasSuffix(t, "K"):
		shift = 10
	case strings.HasSuffix(t, "M"):
		shift = 20
	case strings.HasSuffix(t, "G"):
		shift = 30
	}
	if shift > 0 {
		t = t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return errors.New("expected a size in bytes, or with K, M or G (such as 64M)")
	}
	*b = byteSize(n << shift)
	return nil
}

// formatBytes formats n as Set reads it, in the largest exact unit.
func formatBytes(n int64) string {
	for _, u := range []struct {
		shift  uint
		suffix string
	}{{30, "G"}, {20, "M"}, {10, "K"}} {
		if n > 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
