package cvm

import (
	"errors"
	"os"
	"strings"
)

// SimulatorEndpointEnv names the environment variable the dstack SDKs read
// to reach a guest agent simulator: an http:// or https:// URL, or the path
// of a unix socket.
const SimulatorEndpointEnv = "DSTACK_SIMULATOR_ENDPOINT"

// SocketPaths are the guest agent sockets the dstack SDKs try, in order.
// The first that exists is used; when none does, the first.
var SocketPaths = []string{
	"/var/run/dstack.sock",
	"/run/dstack.sock",
	"/var/run/dstack/dstack.sock",
	"/run/dstack/dstack.sock",
}

// DefaultEndpoint returns the guest agent endpoint the dstack SDKs would
// use: DSTACK_SIMULATOR_ENDPOINT when it is set and not empty, else the
// first of SocketPaths that exists, else the first of SocketPaths. (The Go,
// Python and Rust SDKs take an empty variable as set and then fail to
// dial; like the JS SDK, this ignores it.)
func DefaultEndpoint() string {
	return discoverEndpoint(os.Getenv, exists, SocketPaths)
}

// discoverEndpoint is DefaultEndpoint with its environment, file system
// and candidates given.
func discoverEndpoint(getenv func(string) string, exists func(string) bool, paths []string) string {
	if e := getenv(SimulatorEndpointEnv); e != "" {
		return e
	}
	for _, p := range paths {
		if exists(p) {
			return p
		}
	}
	if len(paths) == 0 {
		return ""
	}
	return paths[0]
}

// exists reports whether path names anything in the file system.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// endpoint is a parsed guest agent endpoint: a base URL for HTTP, or a
// socket path.
type endpoint struct {
	// baseURL is what method names are appended to, without a trailing
	// slash: the endpoint for http(s), "http://localhost" for a socket.
	baseURL string
	// socket is the unix socket path, or "" for http(s).
	socket string
}

// parseEndpoint reads an endpoint as the SDKs do: an http:// or https://
// prefix means HTTP with method names appended to its path (as the Go,
// Python and Rust SDKs do); anything else is a unix socket path.
func parseEndpoint(s string) (endpoint, error) {
	switch {
	case s == "":
		return endpoint{}, errors.New("cvm: guest agent endpoint: expected a socket path or an http(s) URL, found none")
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		return endpoint{baseURL: strings.TrimRight(s, "/")}, nil
	}
	// The SDKs send Host "localhost" (or "dstack"); the agent ignores it.
	return endpoint{baseURL: "http://localhost", socket: s}, nil
}
