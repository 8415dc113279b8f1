package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
)

// writeFleet writes a monitor configuration of the CVMs name=url, all
// judged by the policy file pol, and returns its path.
func writeFleet(t *testing.T, pol string, cvms ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\ninterval: 1s\njitter: 0\ncvms:\n")
	for _, c := range cvms {
		name, url, _ := strings.Cut(c, "=")
		fmt.Fprintf(&b, "  - {name: %s, url: '%s', policy: '%s', labels: {env: test}}\n", name, url, pol)
	}
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// TestMonitorCommandRefusesBadInput: every local problem is a usage error
// (exit 2) that names the flag or field, before anything is checked.
func TestMonitorCommandRefusesBadInput(t *testing.T) {
	s := cvmtest.NewServer(nil)
	t.Cleanup(s.Close)
	tr := writeTrustSet(t, s, nil)
	fleet := writeFleet(t, tr.policy, "a="+s.URL)
	bad := writeFile(t, "bad.yaml", []byte("version: 1\ncvms: [{name: a, url: 'http://a', policy: p}]\n"))
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no config", []string{"monitor"}, nil, "--config is required"},
		{"missing config", []string{"monitor", "--config", filepath.Join(tr.dir, "none.yaml")}, nil, "--config " + filepath.Join(tr.dir, "none.yaml") + ": open"},
		{"invalid config", []string{"monitor", "--config", bad}, nil, `cvms[0].url: expected an https:// URL with a host and no credentials, query or fragment, found "http://a"`},
		{"invalid policy", []string{"monitor", "--config", writeFleet(t, bad, "a="+s.URL)}, nil, "cvms[0].policy: expected a valid policy file"},
		{"webhook not a URL", append([]string{"monitor", "--config", fleet, "--webhook", "hooks.example/secret-token"}, tr.flags()...), nil, "--webhook: expected an http or https URL"},
		{"webhook from the environment", append([]string{"monitor", "--config", fleet}, tr.flags()...), map[string]string{webhookEnv: "secret-token"}, "$" + webhookEnv + ": expected an http or https URL"},
		{"metrics address", append([]string{"monitor", "--config", fleet, "--metrics-addr", "127.0.0.1:99999"}, tr.flags()...), nil, "--metrics-addr 127.0.0.1:99999"},
		{"negative collateral alert", []string{"monitor", "--config", fleet, "--collateral-alert", "-1h"}, nil, "--collateral-alert -1h0m0s: expected a duration of at least 0"},
		{"zero timeout", append([]string{"monitor", "--config", fleet, "--timeout", "0s"}, tr.flags()...), nil, "--timeout 0s: expected a positive duration"},
		{"unknown log level", []string{"monitor", "--config", fleet, "--log-level", "LOUD"}, nil, `--log-level "LOUD": unknown level; expected one of DEBUG, INFO, WARN, ERROR`},
		{"argument", []string{"monitor", "--config", fleet, "extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runWith(t, cliInput{env: tc.env}, tc.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
			assert.NotContains(t, stderr, "secret-token", "a webhook URL is a secret")
		})
	}
}

// TestMonitorCommandOnce: --once checks every CVM, logs each check as a
// documented JSON line, and exits by the contract.
func TestMonitorCommandOnce(t *testing.T) {
	good := cvmtest.NewServer(nil)
	t.Cleanup(good.Close)
	bad := cvmtest.NewServer(nil, cvmtest.WithComposeFile([]byte(changedCompose)))
	t.Cleanup(bad.Close)
	tr := writeTrustSet(t, good, nil)
	unreachable := "https://" + strings.TrimPrefix(closedURL(t), "http://")
	doc := readJSONDoc(t)

	tests := []struct {
		name string
		cvms []string
		code int
	}{
		{"pass", []string{"good=" + good.URL}, exitOK},
		{"refused", []string{"good=" + good.URL, "bad=" + bad.URL, "gone=" + unreachable}, exitRefused},
		{"no verdict", []string{"good=" + good.URL, "gone=" + unreachable}, exitNoVerdict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"monitor", "--once", "--config", writeFleet(t, tr.policy, tc.cvms...)}, tr.flags()...)
			code, stdout, stderr := runCLI(t, args...)
			require.Equal(t, tc.code, code, stderr)
			assert.Empty(t, stdout)
			var checks int
			for _, line := range jsonLines(t, stderr) {
				if line["msg"] != "check" {
					continue
				}
				checks++
				checkDocumented(t, doc, "monitor-check", line, tc.name)
				assert.Equal(t, map[string]any{"env": "test"}, line["labels"])
				switch line["cvm"] {
				case "good":
					assert.Equal(t, "pass", line["result"])
					assert.Equal(t, "UpToDate", line["tcb_status"])
				case "bad":
					assert.Equal(t, "refused", line["result"])
					assert.Equal(t, "policy", line["kind"])
				case "gone":
					assert.Equal(t, "inconclusive", line["result"])
					assert.Equal(t, "unreachable", line["kind"])
				}
			}
			assert.Equal(t, len(tc.cvms), checks)
		})
	}
}

// TestMonitorCommandStops: a monitor whose context ends (SIGINT, SIGTERM)
// stops with exit status 0.
func TestMonitorCommandStops(t *testing.T) {
	s := cvmtest.NewServer(nil)
	t.Cleanup(s.Close)
	tr := writeTrustSet(t, s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr syncBuffer
	code := run(ctx, append([]string{"monitor", "--config", writeFleet(t, tr.policy, "a="+s.URL), "--metrics-addr", "127.0.0.1:0"}, tr.flags()...),
		&env{stdout: &syncBuffer{}, stderr: &stderr, getenv: func(string) string { return "" }})
	assert.Equal(t, exitOK, code, stderr.String())
	assert.Contains(t, stderr.String(), `"msg":"monitor stopped"`)
}
