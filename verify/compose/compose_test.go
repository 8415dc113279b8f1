package compose_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

const evPinnedDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// appCompose returns an app-compose.json text holding dockerCompose.
func evAppCompose(t testing.TB, dockerCompose string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"manifest_version":    2,
		"name":                "demo",
		"runner":              "docker-compose",
		"docker_compose_file": dockerCompose,
		"kms_enabled":         true,
	})
	require.NoError(t, err)
	return string(b)
}

func TestParseCompose(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		services []compose.Service
	}{
		{
			name: "services sorted, pinned and not",
			raw: evAppCompose(t, "services:\n  web:\n    image: nginx@"+evPinnedDigest+"\n"+
				"  api:\n    image: ghcr.io/acme/api:1.2\n  worker:\n    build: .\n"),
			services: []compose.Service{
				{Name: "api", Image: "ghcr.io/acme/api:1.2"},
				{Name: "web", Image: "nginx@" + evPinnedDigest, Pinned: true},
				{Name: "worker", Build: true},
			},
		},
		{
			name:     "tag and digest",
			raw:      evAppCompose(t, "services:\n  a:\n    image: registry:5000/x/y:1.0@"+evPinnedDigest+"\n"),
			services: []compose.Service{{Name: "a", Image: "registry:5000/x/y:1.0@" + evPinnedDigest, Pinned: true}},
		},
		{
			name:     "upper-case digest is not pinned",
			raw:      evAppCompose(t, "services:\n  a:\n    image: x@"+strings.ToUpper(evPinnedDigest)+"\n"),
			services: []compose.Service{{Name: "a", Image: "x@" + strings.ToUpper(evPinnedDigest)}},
		},
		{
			name:     "short digest is not pinned",
			raw:      evAppCompose(t, "services:\n  a:\n    image: x@"+evPinnedDigest[:70]+"\n"),
			services: []compose.Service{{Name: "a", Image: "x@" + evPinnedDigest[:70]}},
		},
		{
			name:     "digest followed by junk is not pinned",
			raw:      evAppCompose(t, "services:\n  a:\n    image: x@"+evPinnedDigest+"0\n"),
			services: []compose.Service{{Name: "a", Image: "x@" + evPinnedDigest + "0"}},
		},
		{
			name:     "sha512 digest is not pinned",
			raw:      evAppCompose(t, "services:\n  a:\n    image: x@sha512:"+strings.Repeat("ab", 64)+"\n"),
			services: []compose.Service{{Name: "a", Image: "x@sha512:" + strings.Repeat("ab", 64)}},
		},
		{"service with null body", evAppCompose(t, "services:\n  a:\n"), []compose.Service{{Name: "a"}}},
		{"anchors", evAppCompose(t, "x: &img\n  image: y:1\nservices:\n  a: *img\n"), []compose.Service{{Name: "a", Image: "y:1"}}},
		{"no services key", evAppCompose(t, "version: '3'\n"), []compose.Service{}},
		{"empty compose file", evAppCompose(t, ""), []compose.Service{}},
		{"no docker_compose_file", `{"manifest_version":2,"runner":"bash","bash_script":"echo hi"}`, []compose.Service{}},
		{"null docker_compose_file", `{"docker_compose_file":null}`, []compose.Service{}},
		{"trailing empty document", evAppCompose(t, "services:\n  a:\n    image: x:1\n---\n"), []compose.Service{{Name: "a", Image: "x:1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(tc.raw))
			require.NoError(t, err)
			assert.Equal(t, tc.raw, c.Raw)
			assert.Equal(t, tc.services, c.Services)
		})
	}
}

func TestParseComposeRejects(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"not JSON", "services:\n  a: {}\n"},
		{"array", `[1]`},
		{"truncated", `{"docker_compose_file":"x"`},
		{"compose file not a string", `{"docker_compose_file":{"services":{}}}`},
		{"compose file a number", `{"docker_compose_file":5}`},
		{"bad YAML", `{"docker_compose_file":"services: [\n"}`},
		{"duplicate service", `{"docker_compose_file":"services:\n  a: {}\n  a: {}\n"}`},
		{"image not a string", `{"docker_compose_file":"services:\n  a:\n    image: [x]\n"}`},
		{"services a list", `{"docker_compose_file":"services:\n  - a\n"}`},
		{"too large", `{"x":"` + strings.Repeat("a", compose.MaxSize) + `"}`},
		// Docker Compose merges every document of the file: a second one
		// may replace the pinned image of the first.
		{"second document", evAppCompose(t, "services:\n  a:\n    image: x@"+evPinnedDigest+"\n---\nservices:\n  a:\n    image: evil:latest\n")},
		{"bad second document", evAppCompose(t, "services: {}\n---\n[\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(tc.raw))
			assert.Nil(t, c)
			require.ErrorIs(t, err, compose.ErrMalformed)
			assert.Contains(t, err.Error(), "expected")
		})
	}
}
