package cvm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDiscoverEndpoint checks the SDKs' order: the environment variable
// when set and not empty, else the first socket that exists, else the
// first socket.
func TestDiscoverEndpoint(t *testing.T) {
	paths := []string{"/a.sock", "/b.sock", "/c.sock"}
	tests := []struct {
		name     string
		env      string
		existing []string
		want     string
	}{
		{"nothing exists", "", nil, "/a.sock"},
		{"second exists", "", []string{"/b.sock"}, "/b.sock"},
		{"first of several", "", []string{"/c.sock", "/b.sock"}, "/b.sock"},
		{"environment wins", "http://localhost:8090", []string{"/a.sock"}, "http://localhost:8090"},
		{"environment socket", "./dstack.sock", nil, "./dstack.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == SimulatorEndpointEnv {
					return tt.env
				}
				return ""
			}
			exists := func(p string) bool {
				for _, e := range tt.existing {
					if e == p {
						return true
					}
				}
				return false
			}
			assert.Equal(t, tt.want, discoverEndpoint(getenv, exists, paths))
		})
	}
	assert.Equal(t, "", discoverEndpoint(func(string) string { return "" }, exists, nil))
	assert.Equal(t, []string{"/var/run/dstack.sock", "/run/dstack.sock", "/var/run/dstack/dstack.sock", "/run/dstack/dstack.sock"}, SocketPaths)
}

// TestParseEndpoint checks how an endpoint is read.
func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in     string
		base   string
		socket string
	}{
		{"http://localhost:8090", "http://localhost:8090", ""},
		{"https://sim.example/base/", "https://sim.example/base", ""},
		{"/var/run/dstack.sock", "http://localhost", "/var/run/dstack.sock"},
		{"./dstack.sock", "http://localhost", "./dstack.sock"},
	}
	for _, tt := range tests {
		ep, err := parseEndpoint(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.base, ep.baseURL, tt.in)
		assert.Equal(t, tt.socket, ep.socket, tt.in)
	}
	_, err := parseEndpoint("")
	assert.Error(t, err)
}
