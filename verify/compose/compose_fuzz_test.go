package compose_test

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

func FuzzParseCompose(f *testing.F) {
	for _, seed := range []string{
		`{"docker_compose_file":"services:\n  a:\n    image: x@` + evPinnedDigest + `\n"}`,
		`{"docker_compose_file":"x: &a [*a]\nservices: {}\n"}`,
		`{"runner":"bash"}`,
		// Scripts of every kind.
		`{"runner":"bash","bash_script":"echo","pre_launch_script":null,"init_script":["a",""]}`,
		// Duplicate and case-variant keys.
		`{"pre_launch_script":"a","pre_launch_script":"b"}`,
		`{"Pre_Launch_Script":"a"}`,
		`{"allowed_envs":["BASH_ENV"]}`,
		// Constructs, merges and extends.
		`{"docker_compose_file":"include: [a.yaml]\nservices:\n  a: {extends: {file: b.yaml, service: b}}\n  c: {image: !reset x}\n"}`,
		`{"docker_compose_file":"x: &x {image: y, build: .}\nservices:\n  a: {<<: [*x, {image: z}]}\n  b: {extends: a}\n"}`,
		`{"docker_compose_file":"services: &s\n  <<: *s\n"}`,
		`{"docker_compose_file":"services:\n  a: {extends: b}\n  b: {extends: a}\n"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := compose.Parse(b)
		if err != nil {
			require.Nil(t, c)
			require.ErrorIs(t, err, compose.ErrMalformed)
			return
		}
		require.Equal(t, string(b), c.Raw)
		for i := 1; i < len(c.Services); i++ {
			require.Less(t, c.Services[i-1].Name, c.Services[i].Name)
		}
		for _, s := range c.Services {
			require.False(t, s.Pinned && s.Build, s.Name)
		}
		for _, s := range c.Scripts {
			require.Equal(t, sha256.Sum256([]byte(s.Text)), s.SHA256)
			require.Contains(t, compose.ScriptKinds(), s.Kind)
		}
		for i := 1; i < len(c.Constructs); i++ {
			require.LessOrEqual(t, c.Constructs[i-1].Line, c.Constructs[i].Line)
		}
	})
}
