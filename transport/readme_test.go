package transport_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeClientExample: README.md's client example is the body of
// Example, which go vet and go test compile, so the README's code
// compiles.
func TestReadmeClientExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	start := strings.Index(string(src), "func Example() {\n")
	require.GreaterOrEqual(t, start, 0)
	body := string(src[start+len("func Example() {\n"):])
	body = body[:strings.Index(body, "\n}\n")]
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), strings.Join(lines, "\n"), "README.md's client example differs from transport.Example")
}
