package policy

import (
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

// prettyCompose is an app-compose.json as a person keeps it: indented,
// keys in their own order. A CVM deployed through the SDKs shows the hash
// of its SDK form instead.
const prettyCompose = "{\n  \"runner\": \"docker-compose\",\n  \"name\": \"demo\"\n}\n"

func TestComposeFileForms(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "pretty.json", prettyCompose)
	canonical, err := compose.Canonical([]byte(prettyCompose))
	require.NoError(t, err)
	exact, sdk := sha256.Sum256([]byte(prettyCompose)), sha256.Sum256(canonical)

	for _, doc := range []string{
		"version: 1\napp:\n  compose_files: [pretty.json, {path: pretty.json, form: sdk}, {path: pretty.json, form: exact}, {path: pretty.json}]\n",
		`{"version": 1, "app": {"compose_files": ["pretty.json", {"path": "pretty.json", "form": "sdk"}, {"path": "pretty.json", "form": "exact"}, {"path": "pretty.json"}]}}`,
	} {
		p, err := Parse([]byte(doc), dir)
		require.NoError(t, err, doc)
		files := p.App.ComposeFiles
		require.Len(t, files, 4)
		assert.Equal(t, Hex(exact[:]), files[0].SHA256, "a path alone hashes the exact bytes")
		assert.Equal(t, ComposeSDK, files[1].Form)
		assert.Equal(t, Hex(sdk[:]), files[1].SHA256, "form sdk hashes the SDK form")
		assert.Equal(t, Hex(exact[:]), files[2].SHA256)
		assert.Equal(t, Hex(exact[:]), files[3].SHA256)

		out, err := p.Marshal()
		require.NoError(t, err)
		again, err := Parse(out, dir)
		require.NoError(t, err, "%s", out)
		assert.Equal(t, p.App.ComposeFiles, again.App.ComposeFiles, "the form survives Marshal")
		assert.Contains(t, string(out), "form: sdk")

		js, err := json.Marshal(p.App.ComposeFiles)
		require.NoError(t, err)
		assert.JSONEq(t, `["pretty.json", {"path": "pretty.json", "form": "sdk"}, "pretty.json", "pretty.json"]`, string(js), "form exact is the default, written as a path")
	}
}

func TestComposeFileFormErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "pretty.json", prettyCompose)
	writeFile(t, dir, "compose.yaml", "services: {}\n")
	tests := []struct {
		name, entry, want string
	}{
		{"unknown form", "{path: pretty.json, form: js}", `form: expected "exact" or "sdk", found "js"`},
		{"unknown key", "{path: pretty.json, hash: sdk}", "field hash not found"},
		{"a list", "[pretty.json]", "expected a file path or {path, form}, found a list"},
		{"sdk form of a file that is not JSON", "{path: compose.yaml, form: sdk}", "app.compose_files[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte("version: 1\napp: {compose_files: ["+tt.entry+"]}\n"), dir)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
