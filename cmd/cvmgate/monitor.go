package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cvmgate/cvmgate/remote"
)

// webhookEnv names the environment variable that holds the webhook URL
// when --webhook is not given: such URLs are secrets, better kept out of
// command lines.
const webhookEnv = "CVMGATE_WEBHOOK_URL"

// defaultCollateralAlert is how long ahead of its nextUpdate expiring
// collateral is alerted: over a weekend.
const defaultCollateralAlert = 72 * time.Hour

var monitorCmd = &command{
	name:     "monitor",
	summary:  "check a fleet of CVMs on an interval: JSON logs, Prometheus metrics, webhook alerts",
	synopsis: "--config FILE [--metrics-addr ADDR] [--webhook URL] [--remote-verifier URL] [--once] [flags]",
	about: `Checks every CVM of the configuration file on its interval, with jitter: a fresh
attestation through the real transport each time (nonce, quote, collateral, event log,
compose, TLS key binding, the CVM's policy), all CVMs sharing one verifier and its
collateral cache. Every check is a JSON log line on standard error (docs/json.md,
monitor-check).

With --metrics-addr, Prometheus metrics are served at /metrics: last check and last
success, verification duration, failures by kind, TCB status, seconds until the
collateral's nextUpdate and until the verdict lapses, and cvm_info with the labels.

With --webhook (or $` + webhookEnv + `), an alert is posted as Slack-compatible JSON,
{"text": "..."}, when a CVM goes from passing to failing (a CVM failing at its first
check counts), when it passes again, and once per collateral when the collateral a CVM
was verified with reaches its nextUpdate within --collateral-alert.

With --remote-verifier, each quote is also sent to a hosted verifier (Phala Cloud's,
or any service of its API) for a second opinion: local verification decides, the log
line says whether the two agree, and a disagreement fails the check with kind
remote_disagreement. A remote verifier that does not answer changes nothing.

SIGHUP reloads the configuration: an invalid one is logged and the running one stays.
SIGINT and SIGTERM stop the monitor cleanly (exit status 0).

The configuration (YAML or JSON; unknown keys are refused):

  version: 1
  interval: 5m        # between two checks (default 5m, at least 1s)
  jitter: 0.1         # random spread, a fraction of the interval (at most 0.5)
  cvms:
    - name: api-prod  # unique; the cvm label of the metrics
      url: https://app-id-443s.dstack-prod5.phala.network
      policy: policies/api.yaml   # relative to this file
      interval: 1m    # optional: this CVM's own interval
      labels: {env: prod, team: payments}`,
	flags: monitorFlags,
	examples: []example{
		{"check a fleet, metrics on port 9464, alerts to Slack", "CVMGATE_WEBHOOK_URL=https://hooks.slack.com/services/... cvmgate monitor --config fleet.yaml --metrics-addr 127.0.0.1:9464"},
		{"check every CVM once, for cron or CI (no alerts)", "cvmgate monitor --config fleet.yaml --once"},
		{"reload the configuration of a running monitor", "kill -HUP $(pidof cvmgate)"},
	},
	exits: []exitDoc{
		{exitOK, "stopped by SIGINT or SIGTERM; with --once, every CVM passed"},
		{exitRefused, "with --once: a CVM's evidence was examined and refused"},
		{exitUsage, "usage or local input error: a flag, the configuration or a policy file, the metrics address"},
		{exitNoVerdict, "with --once: no CVM was refused, but one could not be verified (unreachable, collateral unavailable)"},
	},
	envVars: []envVar{
		pccsEnvDoc,
		{webhookEnv, "the webhook URL when --webhook is not given"},
	},
}

// monitorRun is what the flags of "monitor" set.
type monitorRun struct {
	daemon          daemonFlags
	config          string
	metricsAddr     string
	webhook         string
	collateralAlert time.Duration
	once            bool
	remoteVerifier  string
}

// monitorFlags registers the flags of "monitor".
func monitorFlags(fs *flag.FlagSet) runFunc {
	r := &monitorRun{}
	fs.StringVar(&r.config, "config", "", "the monitor configuration `FILE` (YAML or JSON): the CVMs, their policies and intervals")
	fs.StringVar(&r.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`ADDR`/metrics (such as 127.0.0.1:9464); none without it")
	fs.StringVar(&r.webhook, "webhook", "", "post alerts to the webhook at `URL` (Slack-compatible JSON); default $"+webhookEnv)
	fs.DurationVar(&r.collateralAlert, "collateral-alert", defaultCollateralAlert, "alert when the collateral a CVM was verified with expires within `DURATION`; 0 for never")
	fs.StringVar(&r.remoteVerifier, "remote-verifier", "", "also ask the hosted verifier at `URL` about each quote, as a second opinion (Phala Cloud's: "+remote.PhalaURL+"); a disagreement fails the check (remote_disagreement), no answer changes nothing")
	fs.BoolVar(&r.once, "once", false, "check every CVM once, at once, and exit: 0 all passed, 1 one was refused, 3 one could not be verified")
	r.daemon.register(fs)
	return r.run
}

// run implements "cvmgate monitor".
func (r *monitorRun) run(ctx context.Context, e *env, _ []string) error {
	if r.config == "" {
		return usagef("--config is required: the file that lists the CVMs to check")
	}
	if r.collateralAlert < 0 {
		return usagef("--collateral-alert %s: expected a duration of at least 0", r.collateralAlert)
	}
	cfg, err := loadMonitorConfig(r.config)
	if err != nil {
		return usagef("--config %s: %w", r.config, err)
	}
	v, err := r.daemon.verifier(e, r.collateralAlert)
	if err != nil {
		return err
	}
	log := r.daemon.logger(e.stderr)
	opts := monitorOptions{
		clock: wallClock{}, rand: rand.Float64, verifier: v, log: log,
		collateralAlert: r.collateralAlert, timeout: r.daemon.src.timeout,
	}
	if !r.once {
		if opts.alerts, err = r.alerter(e); err != nil {
			return err
		}
	}
	if r.remoteVerifier != "" {
		if opts.remote, err = remote.New(r.remoteVerifier, remote.Options{Timeout: r.daemon.src.timeout}); err != nil {
			return usagef("--remote-verifier: %w", err)
		}
	}
	m := newMonitor(opts)
	if r.once {
		return m.once(ctx, cfg)
	}

	var ln net.Listener
	if r.metricsAddr != "" {
		if ln, err = net.Listen("tcp", r.metricsAddr); err != nil {
			return usagef("--metrics-addr %s: %w", r.metricsAddr, err)
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	log.Info("monitor started", slog.String("config", r.config), slog.Int("cvms", len(cfg.CVMs)), slog.Bool("alerts", opts.alerts != nil))
	var wg sync.WaitGroup
	if ln != nil {
		srv := metricsServer(m)
		log.Info("serving metrics", slog.String("addr", ln.Addr().String()), slog.String("path", "/metrics"))
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server failed", slog.String("error", err.Error()))
			}
		})
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
			wg.Wait()
		}()
	}
	return m.run(ctx, cfg, hup, func() (*monitorConfig, error) { return loadMonitorConfig(r.config) })
}

// alerter returns the webhook of --webhook or $CVMGATE_WEBHOOK_URL, or
// nil without one.
func (r *monitorRun) alerter(e *env) (alerter, error) {
	name, u := "--webhook", r.webhook
	if u == "" {
		name, u = "$"+webhookEnv, e.getenv(webhookEnv)
	}
	if u == "" {
		return nil, nil
	}
	w, err := newWebhook(u, wallClock{})
	if err != nil {
		// The URL is a secret: the message does not repeat it.
		return nil, usagef("%s: %w", name, err)
	}
	return w, nil
}

// metricsServer serves m's metrics at /metrics, and /healthz.
func metricsServer(m *monitor) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.metrics.reg, promhttp.HandlerOpts{ErrorLog: slogPrintln{m.log}}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
}

// slogPrintln logs promhttp's errors.
type slogPrintln struct{ log *slog.Logger }

func (l slogPrintln) Println(v ...any) {
	l.log.Error("metrics", slog.String("error", strings.TrimSpace(fmt.Sprintln(v...))))
}
