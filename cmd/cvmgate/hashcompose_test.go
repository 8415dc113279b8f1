package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/compose"
)

func TestPolicyHashCompose(t *testing.T) {
	pretty := "{\n  \"runner\": \"docker-compose\",\n  \"name\": \"demo\"\n}\n"
	canonical := `{"name":"demo","runner":"docker-compose"}`
	exact, sdk := sha256.Sum256([]byte(pretty)), sha256.Sum256([]byte(canonical))

	code, stdout, stderr := runCLI(t, "policy", "hash-compose", writeFile(t, "app-compose.json", []byte(pretty)))
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, hex.EncodeToString(sdk[:])+"  SDK form: what a CVM deployed through the dstack SDKs (getComposeHash) shows\n"+
		hex.EncodeToString(exact[:])+"  exact bytes: what a CVM shows only if deployed with this very text\n", stdout)

	code, stdout, _ = runCLI(t, "policy", "hash-compose", writeFile(t, "app-compose.json", []byte(canonical)))
	require.Equal(t, exitOK, code)
	assert.Equal(t, hex.EncodeToString(sdk[:])+"  compose hash (the file is in the SDK form: a CVM deployed with it, through the SDKs or as is, shows this hash)\n", stdout)

	code, stdout, _ = runWith(t, cliInput{stdin: pretty}, "policy", "hash-compose", "-", "--json")
	require.Equal(t, exitOK, code)
	var out hashComposeJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	assert.Equal(t, hashComposeJSON{schemaVersion, hex.EncodeToString(exact[:]), hex.EncodeToString(sdk[:]), false}, out)
}

// TestPolicyHashComposeMatchesSDKVector: the research notes' vector
// (dstack.md §4.1), hashed as the JavaScript SDK hashes it.
func TestPolicyHashComposeMatchesSDKVector(t *testing.T) {
	const vector = `{"runner":"docker-compose","name":"demo","manifest_version":2,"docker_compose_file":"services:\n  app:\n    image: nginx@sha256:abcd\n","kms_enabled":true,"gateway_enabled":true,"public_logs":false,"allowed_envs":["API_KEY"],"key_provider_id":"","requirements":{"platforms":["dstack-tdx"],"os_version":">=0.5.7"},"note":"héllo <&>\t"}`
	code, stdout, _ := runCLI(t, "policy", "hash-compose", writeFile(t, "c.json", []byte(vector)), "--json")
	require.Equal(t, exitOK, code)
	var out hashComposeJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	assert.Equal(t, "cca0071e15663991a794ac5d25c6facbd84b1aea149552d588189e3e774dd385", out.SDKSHA256)
}

func TestPolicyHashComposeRefuses(t *testing.T) {
	code, _, stderr := runCLI(t, "policy", "hash-compose", writeFile(t, "c.json", []byte("services: {}\n")))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "expected an app-compose.json (a JSON object)")
}

// TestComposeFileFormEndToEnd: a CVM deployed through the SDKs runs the
// SDK form of the pretty file a person keeps; a policy naming the file
// with form sdk accepts it, one naming the file's exact bytes does not.
func TestComposeFileFormEndToEnd(t *testing.T) {
	pretty := "{\n  \"runner\": \"docker-compose\",\n  \"name\": \"demo\",\n  \"docker_compose_file\": \"services:\\n  web:\\n    image: nginx@sha256:" + strings.Repeat("0", 63) + "1\\n\"\n}\n"
	deployed, err := compose.Canonical([]byte(pretty))
	require.NoError(t, err)
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	att, info := appFiles(t, s, &cvmtest.App{Compose: string(deployed)}, [32]byte{1}, [32]byte{})
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app-compose.json"), []byte(pretty), 0o600))
	args := []string{"evidence", "verify", "--attestation", att, "--info", info, "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at, "--nonce", hex.EncodeToString([]byte{1, 31: 0})}

	tests := []struct {
		name, entry string
		wantCode    int
	}{
		{"SDK form", "{path: app-compose.json, form: sdk}", exitOK},
		{"exact bytes", "app-compose.json", exitRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(pol, []byte("version: 1\napp: {compose_files: ["+tt.entry+"]}\nchannel: {binding: none}\n"), 0o600))
			code, out := runJSON(t, append(args, "--policy", pol)...)
			assert.Equal(t, tt.wantCode, code, "%v", out["error"])
		})
	}
}
