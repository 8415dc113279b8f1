// Command server is an application serving HTTPS from inside a dstack CVM
// through cvmgate's cvm package, so that cvmgate clients verify the CVM
// before they send it a request.
//
// Its TLS key comes from the dstack guest agent (GetTlsKey), as dstack
// applications take theirs, and a new one is fetched every -rotate. A
// cvm.Handler serves /attestation and /info beside the application: each
// attestation is a quote over the client's nonce and the key of the
// certificate served on that very connection.
//
// Inside a CVM the agent's socket is found as the dstack SDKs find it.
// Against a simulator:
//
//	DSTACK_SIMULATOR_ENDPOINT=/path/to/dstack.sock server -addr :8443
//
// The CVM's own certificate is on the wire only when clients reach it
// directly or through the dstack gateway's TLS passthrough (host names
// with the "s" suffix, such as <app-id>-8443s.<gateway domain>).
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cvmgate/cvmgate/cvm"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	addr     string
	agent    string
	subject  string
	altNames []string
	rotate   time.Duration
}

// parseFlags reads the command line.
func parseFlags(args []string, w io.Writer) (config, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(w)
	var c config
	fs.StringVar(&c.addr, "addr", ":8443", "address to serve HTTPS on")
	fs.StringVar(&c.agent, "agent", "", "guest agent endpoint, a socket path or an http URL (default: $"+cvm.SimulatorEndpointEnv+", then the dstack sockets)")
	fs.StringVar(&c.subject, "subject", "localhost", "certificate subject")
	alt := fs.String("alt-names", "localhost,127.0.0.1", "comma-separated certificate names")
	fs.DurationVar(&c.rotate, "rotate", 24*time.Hour, "how often to take a new TLS key from the agent (0: never)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.rotate < 0 {
		return c, fmt.Errorf("-rotate: expected a duration of at least 0, found %v", c.rotate)
	}
	for _, n := range strings.Split(*alt, ",") {
		if n = strings.TrimSpace(n); n != "" {
			c.altNames = append(c.altNames, n)
		}
	}
	return c, nil
}

// run serves until ctx ends; ready, if set, gets the address once it
// listens.
func run(ctx context.Context, args []string, logw io.Writer, ready func(addr string)) error {
	cfg, err := parseFlags(args, logw)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(logw, nil))
	s, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	log.Info("serving", "addr", ln.Addr().String(), "agent", s.agent.Endpoint())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.ServeTLS(ln, "", "") }()
	if cfg.rotate > 0 {
		go s.rotateEvery(ctx, cfg.rotate)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.http.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// server is the application's HTTPS server and where its key comes from.
type server struct {
	agent *cvm.Client
	keys  cvm.TLSKeyOptions
	cert  atomic.Pointer[tls.Certificate]
	http  *http.Server
	log   *slog.Logger
}

// newServer takes a first TLS key from the agent and sets up the server:
// the application behind a cvm.Handler, with cvm's certificate recording.
func newServer(ctx context.Context, cfg config, log *slog.Logger) (*server, error) {
	agent, err := cvm.NewClient(cvm.ClientOptions{Endpoint: cfg.agent})
	if err != nil {
		return nil, err
	}
	s := &server{
		agent: agent,
		keys:  cvm.TLSKeyOptions{Subject: cfg.subject, AltNames: cfg.altNames, UsageServerAuth: true},
		log:   log,
	}
	if err := s.rotate(ctx); err != nil {
		return nil, err
	}
	h, err := cvm.NewHandler(agent, app(), cvm.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	s.http = &http.Server{
		Handler: h,
		TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.cert.Load(), nil },
		},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	if err := cvm.Configure(s.http); err != nil {
		return nil, err
	}
	return s, nil
}

// rotate takes a new TLS key from the agent. New connections are served
// with it; each connection's attestation binds the key it was served.
func (s *server) rotate(ctx context.Context) error {
	cert, err := s.agent.GetTLSKey(ctx, s.keys)
	if err != nil {
		return err
	}
	s.cert.Store(&cert)
	sum := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
	s.log.Info("new TLS key from the guest agent", "spki_sha256", hex.EncodeToString(sum[:]), "not_after", cert.Leaf.NotAfter)
	return nil
}

// rotateEvery rotates the key every d until ctx ends, keeping the current
// key when the agent fails.
func (s *server) rotateEvery(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.rotate(ctx); err != nil {
				s.log.Error("TLS key rotation failed; keeping the current key", "err", err)
			}
		}
	}
}

// app is the application itself.
func app() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from inside the CVM")
	})
	return mux
}
