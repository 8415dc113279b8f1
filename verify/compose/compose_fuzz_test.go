package compose_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

func FuzzParseCompose(f *testing.F) {
	f.Add([]byte(`{"docker_compose_file":"services:\n  a:\n    image: x@` + evPinnedDigest + `\n"}`))
	f.Add([]byte(`{"docker_compose_file":"x: &a [*a]\nservices: {}\n"}`))
	f.Add([]byte(`{"runner":"bash"}`))
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
	})
}
