package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/policy"
)

// validConfig is a configuration every field of which is set.
const validConfig = `version: 1
interval: 2m
jitter: 0.2
cvms:
  - name: api-prod
    url: https://app-1-443s.dstack.example
    policy: policies/api.yaml
    interval: 30s
    labels: {env: prod, team: payments}
  - name: worker
    url: https://app-2-443s.dstack.example:8443/base
    policy: policies/api.yaml
`

// stubPolicies loads every path as one policy and records the paths.
type stubPolicies struct {
	loaded []string
	pol    *policy.Policy
}

func (s *stubPolicies) load(path string) (*policy.Policy, error) {
	s.loaded = append(s.loaded, path)
	if strings.Contains(path, "missing") {
		return nil, errors.New("no such file")
	}
	if s.pol == nil {
		p, err := policy.Parse([]byte("version: 1\napp: {any: true}\n"), "")
		if err != nil {
			return nil, err
		}
		s.pol = p
	}
	return s.pol, nil
}

func TestMonitorConfigValid(t *testing.T) {
	stub := &stubPolicies{}
	cfg, err := parseMonitorConfig([]byte(validConfig), "/etc/cvmgate", stub.load)
	require.NoError(t, err)
	require.Len(t, cfg.CVMs, 2)
	assert.Equal(t, []string{"/etc/cvmgate/policies/api.yaml"}, stub.loaded, "a policy file shared by two CVMs is loaded once, relative to the config")
	assert.Equal(t, 30*time.Second, cfg.interval(cfg.CVMs[0]))
	assert.Equal(t, 2*time.Minute, cfg.interval(cfg.CVMs[1]))
	assert.Equal(t, 0.2, cfg.jitter())
	assert.Equal(t, map[string]string{"env": "prod", "team": "payments"}, cfg.CVMs[0].Labels)
	assert.Same(t, stub.pol, cfg.CVMs[1].policy)

	// Defaults.
	cfg, err = parseMonitorConfig([]byte("version: 1\ncvms: [{name: a, url: 'https://a.example', policy: /abs/p.yaml}]\n"), "/etc", stub.load)
	require.NoError(t, err)
	assert.Equal(t, defaultCheckInterval, cfg.interval(cfg.CVMs[0]))
	assert.Equal(t, defaultJitter, cfg.jitter())
	assert.Equal(t, "/abs/p.yaml", stub.loaded[len(stub.loaded)-1])

	// JSON, with tabs between tokens.
	js := "{\n\t\"version\": 1,\n\t\"jitter\": 0,\n\t\"cvms\": [{\"name\": \"a\", \"url\": \"https://a.example\", \"policy\": \"p.yaml\"}]\n}\n"
	cfg, err = parseMonitorConfig([]byte(js), "", stub.load)
	require.NoError(t, err)
	assert.Equal(t, 0.0, cfg.jitter(), "an explicit 0 is not the default")
}

func TestMonitorConfigRefused(t *testing.T) {
	one := func(field, value string) string {
		return fmt.Sprintf("version: 1\ncvms:\n  - name: a\n    url: https://a.example\n    policy: p.yaml\n    %s: %s\n", field, value)
	}
	tests := map[string]struct {
		config string
		want   string
	}{
		"empty":                   {"", "expected a monitor configuration, found an empty file"},
		"not a mapping":           {"[1, 2]", "expected a mapping at the top level"},
		"two documents":           {"version: 1\n---\nversion: 1\n", "expected a single YAML document"},
		"invalid JSON":            {"{\"version\": 1,}", "expected valid JSON"},
		"unknown top-level key":   {"version: 1\nintervall: 5m\ncvms: []\n", "field intervall not found"},
		"unknown CVM key":         {one("polcy", "x"), "field polcy not found"},
		"duplicate key":           {"version: 1\nversion: 1\n", "line 2"},
		"anchor":                  {"version: 1\ncvms:\n  - &a {name: a, url: 'https://a.example', policy: p}\n  - *a\n", "expected no anchors or aliases"},
		"merge key":               {"version: 1\nx: {a: 1}\ncvms:\n  - {<<: {name: a}, url: 'https://a.example', policy: p}\n", "no merge keys"},
		"tag":                     {"version: !!int 1\n", "expected no explicit tags"},
		"null":                    {"version: 1\ninterval:\n", "expected a value, found null"},
		"version":                 {"cvms: [{name: a, url: 'https://a.example', policy: p}]\n", "version: expected 1, found 0"},
		"no CVM":                  {"version: 1\ncvms: []\n", "cvms: expected at least one CVM, found none"},
		"interval too short":      {"version: 1\ninterval: 10ms\ncvms: [{name: a, url: 'https://a.example', policy: p}]\n", "interval: expected at least 1s, found 10ms"},
		"interval without unit":   {"version: 1\ninterval: 300\ncvms: [{name: a, url: 'https://a.example', policy: p}]\n", "interval"},
		"negative interval":       {"version: 1\ninterval: -5m\ncvms: [{name: a, url: 'https://a.example', policy: p}]\n", "interval"},
		"jitter too large":        {"version: 1\njitter: 0.9\ncvms: [{name: a, url: 'https://a.example', policy: p}]\n", "jitter: expected a fraction of the interval from 0 to 0.5, found 0.9"},
		"jitter NaN":              {"version: 1\njitter: .nan\ncvms: [{name: a, url: 'https://a.example', policy: p}]\n", "found NaN"},
		"CVM interval too short":  {one("interval", "0.5s"), "cvms[0].interval: expected at least 1s, found 500ms"},
		"no name":                 {"version: 1\ncvms: [{url: 'https://a.example', policy: p}]\n", "cvms[0].name: expected a name, found none"},
		"control char in name":    {"version: 1\ncvms: [{name: \"a\\nb\", url: 'https://a.example', policy: p}]\n", "cvms[0].name: expected at most 256 bytes without control characters"},
		"duplicate names":         {"version: 1\ncvms: [{name: a, url: 'https://a.example', policy: p}, {name: a, url: 'https://b.example', policy: p}]\n", `cvms[1].name: expected a name no other CVM has, found "a", the name of cvms[0]`},
		"http URL":                {"version: 1\ncvms: [{name: a, url: 'http://a.example', policy: p}]\n", `cvms[0].url: expected an https:// URL with a host and no credentials, query or fragment, found "http://a.example"`},
		"URL without host":        {"version: 1\ncvms: [{name: a, url: 'https:///x', policy: p}]\n", "cvms[0].url"},
		"URL with credentials":    {"version: 1\ncvms: [{name: a, url: 'https://u:p@a.example', policy: p}]\n", "cvms[0].url"},
		"URL with query":          {"version: 1\ncvms: [{name: a, url: 'https://a.example/?x=1', policy: p}]\n", "cvms[0].url"},
		"no policy":               {"version: 1\ncvms: [{name: a, url: 'https://a.example'}]\n", "cvms[0].policy: expected the path of a policy file, found none"},
		"policy does not load":    {"version: 1\ncvms: [{name: a, url: 'https://a.example', policy: missing.yaml}]\n", `cvms[0].policy: expected a valid policy file, found "missing.yaml": no such file`},
		"bad label name":          {one("labels", "{1env: prod}"), `cvms[0].labels: expected label names of letters, digits and _, not starting with a digit or __, found "1env"`},
		"reserved label name":     {one("labels", "{__name__: x}"), "cvms[0].labels"},
		"label value too long":    {one("labels", "{env: "+strings.Repeat("x", 300)+"}"), "cvms[0].labels.env: expected at most 256 bytes, found 300 bytes"},
		"label not a string":      {one("labels", "{env: [a]}"), "cannot unmarshal"},
		"too many labels":         {one("labels", "{"+labelsN(33)+"}"), "expected at most 32 keys in a mapping"},
		"too deep":                {"version: 1\ncvms: [{labels: {a: [[[[[[1]]]]]]}}]\n", "levels of nesting"},
		"CVM is not a mapping":    {"version: 1\ncvms: [a]\n", "cannot unmarshal"},
		"every problem is listed": {"version: 2\ncvms: [{name: a, url: 'http://a'}]\n", "version: expected 1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseMonitorConfig([]byte(tc.config), "", (&stubPolicies{}).load)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	_, err := parseMonitorConfig([]byte("version: 2\ncvms: [{name: a, url: 'http://a'}]\n"), "", (&stubPolicies{}).load)
	require.Error(t, err)
	for _, want := range []string{"version: expected 1", "cvms[0].url", "cvms[0].policy"} {
		assert.Contains(t, err.Error(), want, "every problem is reported at once")
	}
}

func labelsN(n int) string {
	var kv []string
	for i := range n {
		kv = append(kv, fmt.Sprintf("l%d: v", i))
	}
	return strings.Join(kv, ", ")
}

// TestLoadMonitorConfigFiles: policy paths are relative to the
// configuration file; only regular files are read, within the size bound.
func TestLoadMonitorConfigFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "policies"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policies", "api.yaml"), []byte("version: 1\napp: {any: true}\n"), 0o600))
	path := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(path, []byte(validConfig), 0o600))
	cfg, err := loadMonitorConfig(path)
	require.NoError(t, err)
	assert.True(t, cfg.CVMs[0].policy.App.Any)

	_, err = loadMonitorConfig(dir)
	assert.ErrorContains(t, err, "expected a regular file")
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat("#", maxMonitorConfig+1)), 0o600))
	_, err = loadMonitorConfig(big)
	assert.ErrorContains(t, err, "too large")
}

// FuzzMonitorConfig: any input is refused or yields a configuration that
// keeps the rules the monitor relies on.
func FuzzMonitorConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte("{\"version\": 1, \"cvms\": [{\"name\": \"a\", \"url\": \"https://a.example\", \"policy\": \"p\"}]}"))
	f.Add([]byte("version: 1\ncvms: [{name: a, url: 'https://a.example', policy: p, labels: {a: b}}]\n"))
	stub := &stubPolicies{}
	f.Fuzz(func(t *testing.T, data []byte) {
		stub.loaded = stub.loaded[:0]
		cfg, err := parseMonitorConfig(data, "", stub.load)
		if err != nil {
			return
		}
		require.NotEmpty(t, cfg.CVMs)
		names := map[string]bool{}
		for _, c := range cfg.CVMs {
			require.False(t, names[c.Name], "duplicate name %q", c.Name)
			names[c.Name] = true
			require.GreaterOrEqual(t, cfg.interval(c), minCheckInterval)
			_, ok := parseCVMURL(c.URL)
			require.True(t, ok, c.URL)
			require.NotNil(t, c.policy)
			require.LessOrEqual(t, len(c.Labels), maxCVMLabels)
		}
		require.True(t, cfg.jitter() >= 0 && cfg.jitter() <= maxJitter)
	})
}
