package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examplePolicy is the policy of the README and the policy package.
const examplePolicy = "../../testdata/policy/example.yaml"

func TestPolicyCheck(t *testing.T) {
	code, stdout, stderr := runCLI(t, "policy", "check", examplePolicy)
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{
		examplePolicy + ": valid policy (version 1)",
		"  tcb           TCB status UpToDate, SWHardeningNeeded, OutOfDate (OutOfDate only within 30d of falling out of date)\n                debug TDs refused\n",
		"  platform      one of:\n                  - mrtd  dcaa00f88a8b8ec79488e4acd064f1d554a8b1bf775558f08708ebe02cbbcac69ed8eb480c13100bb8a1524a4f196884\n                    rtmr0 32b18e0a",
		"os image      4c1ecc8a5a76b79ca116d0238ea9f0616dd5c710b5ab5358b921d0f7ee2f9dcb",
		"(app-compose.json)",
		"app id        688d3a3b186b588071be2e3fb22c502f606b0121",
		"key provider  kms 3059301306072a8648ce3d",
		"images        every compose service pinned by digest",
		"channel       spki: REPORTDATA = nonce || SHA-256",
		"max age       attest again after 1h",
	} {
		assert.Contains(t, stdout, want)
	}

	code, stdout, _ = runCLI(t, "policy", "check", "--json", examplePolicy)
	require.Equal(t, exitOK, code)
	var out struct {
		SchemaVersion int            `json:"schema_version"`
		Valid         bool           `json:"valid"`
		Policy        map[string]any `json:"policy"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	assert.True(t, out.Valid)
	assert.Equal(t, float64(1), out.Policy["version"])
}

func TestPolicyCheckDescribesLists(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(path, []byte("version: 1\napp: {any: true}\nos_image_hashes: []\nchannel: {binding: none}\ntcb: {allow_debug: true}\n"), 0o600))
	code, stdout, stderr := runCLI(t, "policy", "check", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "os image      nothing: the list is empty, every CVM is refused")
	assert.Contains(t, stdout, "app id        not checked")
	assert.Contains(t, stdout, "ANY app")
	assert.Contains(t, stdout, "debug TDs ALLOWED")
	assert.Contains(t, stdout, "NOT bound")

	code, stdout, stderr = runWith(t, cliInput{stdin: "version: 1\napp: {any: true}\n"}, "policy", "check", "-")
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "-: valid policy")
}

func TestPolicyCheckRefuses(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string
	}{
		{"unknown key", "version: 1\napp: {any: true}\nfrob: 1\n", "frob"},
		{"neither compose nor app id nor any", "version: 1\n", "app: expected compose_hashes, compose_files or app_ids"},
		{"a missing compose file", "version: 1\napp: {compose_files: [nope.json]}\n", "app.compose_files[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "policy", "check", writeFile(t, "p.yaml", []byte(tt.doc)))
			assert.Equal(t, exitRefused, code, "an invalid policy was examined and refused")
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "invalid policy"), stderr)
		})
	}
	code, _, stderr := runCLI(t, "policy", "check", filepath.Join(t.TempDir(), "none.yaml"))
	assert.Equal(t, exitUsage, code, "an unreadable file is a usage error")
	assert.Contains(t, stderr, "expected a readable file")
}
