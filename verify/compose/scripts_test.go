package compose_test

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

// script is the Script Parse must report for kind and text.
func script(kind compose.ScriptKind, text string) compose.Script {
	return compose.Script{Kind: kind, Text: text, SHA256: sha256.Sum256([]byte(text))}
}

// TestParseScripts: every script dstack runs as root is reported, with the
// SHA-256 of the text it runs, in the order dstack runs them.
func TestParseScripts(t *testing.T) {
	const dc = `"docker_compose_file":"services:\n  a:\n    image: x@` + evPinnedDigest + `\n"`
	tests := []struct {
		name    string
		raw     string
		runner  string
		scripts []compose.Script
	}{
		{"none", `{"runner":"docker-compose",` + dc + `}`, "docker-compose", nil},
		{"pre_launch_script", `{"runner":"docker-compose","pre_launch_script":"docker login\n",` + dc + `}`, "docker-compose",
			[]compose.Script{script(compose.ScriptPreLaunch, "docker login\n")}},
		// dstack runs pre_launch_script whenever the key is present.
		{"empty pre_launch_script runs", `{"runner":"docker-compose","pre_launch_script":"",` + dc + `}`, "docker-compose",
			[]compose.Script{script(compose.ScriptPreLaunch, "")}},
		{"null pre_launch_script runs jq's null", `{"runner":"docker-compose","pre_launch_script":null}`, "docker-compose",
			[]compose.Script{script(compose.ScriptPreLaunch, "null")}},
		{"init_script string", `{"runner":"docker-compose","init_script":"echo init"}`, "docker-compose",
			[]compose.Script{script(compose.ScriptInit, "echo init")}},
		{"init_script list", `{"runner":"docker-compose","init_script":["a","b"]}`, "docker-compose",
			[]compose.Script{script(compose.ScriptInit, "a"), script(compose.ScriptInit, "b")}},
		{"init_script empty list", `{"runner":"docker-compose","init_script":[]}`, "docker-compose", nil},
		{"init_script null runs on dstack 0.5", `{"runner":"docker-compose","init_script":null}`, "docker-compose",
			[]compose.Script{script(compose.ScriptInit, "null")}},
		{"runner bash", `{"runner":"bash","bash_script":"docker run evil"}`, "bash",
			[]compose.Script{script(compose.ScriptBash, "docker run evil")}},
		{"runner bash without bash_script pipes jq's null", `{"runner":"bash"}`, "bash",
			[]compose.Script{script(compose.ScriptBash, "null")}},
		{"bash_script ignored by the compose runner", `{"runner":"docker-compose","bash_script":"x",` + dc + `}`, "docker-compose", nil},
		{"all three in run order", `{"bash_script":"c","pre_launch_script":"b","runner":"bash","init_script":"a"}`, "bash",
			[]compose.Script{script(compose.ScriptInit, "a"), script(compose.ScriptPreLaunch, "b"), script(compose.ScriptBash, "c")}},
		{"no runner", `{"pre_launch_script":"x"}`, "", []compose.Script{script(compose.ScriptPreLaunch, "x")}},
		{"nerdctl runner", `{"runner":"nerdctl-compose"}`, "nerdctl-compose", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(tc.raw))
			require.NoError(t, err)
			assert.Equal(t, tc.runner, c.Runner)
			assert.Equal(t, tc.scripts, c.Scripts)
		})
	}
}

func TestParseScriptsRejects(t *testing.T) {
	tests := []struct {
		name, raw, found string
	}{
		{"pre_launch_script a number", `{"pre_launch_script":5}`, "pre_launch_script: expected a string, found a number"},
		{"pre_launch_script a list", `{"pre_launch_script":["x"]}`, "pre_launch_script: expected a string, found an array"},
		{"bash_script an object", `{"runner":"bash","bash_script":{}}`, "bash_script: expected a string, found an object"},
		{"init_script a list of numbers", `{"init_script":[1]}`, "init_script: expected a string or a list of strings"},
		{"init_script a boolean", `{"init_script":true}`, "init_script: expected a string, found a boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(tc.raw))
			assert.Nil(t, c)
			require.ErrorIs(t, err, compose.ErrMalformed)
			assert.Contains(t, err.Error(), tc.found)
		})
	}
}

// TestCodeEnvs: allowed_envs names that let the deployer's environment
// change what dstack runs.
func TestCodeEnvs(t *testing.T) {
	c, err := compose.Parse([]byte(`{"allowed_envs":["API_KEY","BASH_ENV","LD_PRELOAD","COMPOSE_FILE","APP_COMPOSE_FILE","PATH","DOCKER_HOST","DSTACK_DOCKER_PASSWORD","MY_PATH"]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"API_KEY", "BASH_ENV", "LD_PRELOAD", "COMPOSE_FILE", "APP_COMPOSE_FILE", "PATH", "DOCKER_HOST", "DSTACK_DOCKER_PASSWORD", "MY_PATH"}, c.AllowedEnvs)
	assert.Equal(t, []string{"BASH_ENV", "LD_PRELOAD", "COMPOSE_FILE", "APP_COMPOSE_FILE", "PATH", "DOCKER_HOST"}, c.CodeEnvs())

	c, err = compose.Parse([]byte(`{"runner":"docker-compose"}`))
	require.NoError(t, err)
	assert.Nil(t, c.AllowedEnvs)
	assert.Nil(t, c.CodeEnvs())
}
