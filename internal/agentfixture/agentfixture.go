// Package agentfixture reads and plays the recorded dstack guest agent
// exchanges of cvmtest/testdata/agent (their format is in the README
// there) against a fake agent, for the tests of cvmtest and of cvmgate
// simulate --agent. It is for tests only.
package agentfixture

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Files returns the fixture files of dir (cvmtest/testdata/agent).
func Files(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no fixtures in %s", dir)
	return files
}

// Name is a fixture's name: its file name without .txt.
func Name(file string) string { return strings.TrimSuffix(filepath.Base(file), ".txt") }

// Play sends the fixture in file, as bytes, to the agent at address on
// network and checks the answer: its status, its headers, a
// Content-Length on every answer (never chunked), errors pretty-printed
// as the real agent's, and the body.
func Play(t testing.TB, network, address, file string) {
	t.Helper()
	fx := Read(t, file)
	resp, body := Exchange(t, network, address, fx.Request)
	assert.Equal(t, fx.Status, resp.StatusCode)
	assert.Empty(t, resp.TransferEncoding, "answers are never chunked")
	assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"), "every answer has its Content-Length")
	for k, v := range fx.Headers {
		assert.Equal(t, v, resp.Header.Get(k), "header %s", k)
	}
	if resp.StatusCode == http.StatusBadRequest {
		assert.True(t, bytes.HasPrefix(body, []byte("{\n  \"error\": ")), "errors are pretty-printed: %s", body)
		assert.False(t, bytes.HasSuffix(body, []byte("\n")), "no trailing newline")
	}
	MatchBody(t, fx.Body, body)
}

// Fixture is one recorded exchange.
type Fixture struct {
	// Request is the request as sent, with its Content-Length.
	Request []byte
	// Status, Headers and Body are what the answer must have: its status,
	// these headers, and a body matching Body (see the package doc).
	Status  int
	Headers map[string]string
	Body    string
}

// Read reads a fixture file.
func Read(t testing.TB, file string) Fixture {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(raw), "-- request --\n")
	require.True(t, ok, "no request section")
	reqText, respText, ok := strings.Cut(rest, "-- response --\n")
	require.True(t, ok, "no response section")

	reqHead, reqBody, _ := strings.Cut(reqText, "\n\n")
	reqBody = strings.TrimSuffix(reqBody, "\n")
	var req bytes.Buffer
	for _, line := range strings.Split(reqHead, "\n") {
		req.WriteString(line + "\r\n")
	}
	if reqBody != "" || strings.HasPrefix(reqHead, "POST") {
		fmt.Fprintf(&req, "Content-Length: %d\r\n", len(reqBody))
	}
	req.WriteString("\r\n" + reqBody)

	respHead, respBody, _ := strings.Cut(respText, "\n\n")
	lines := strings.Split(respHead, "\n")
	fields := strings.Fields(lines[0])
	require.GreaterOrEqual(t, len(fields), 2, "status line")
	status, err := strconv.Atoi(fields[1])
	require.NoError(t, err)
	fx := Fixture{Request: req.Bytes(), Status: status, Headers: map[string]string{}, Body: strings.TrimSuffix(respBody, "\n")}
	for _, h := range lines[1:] {
		k, v, ok := strings.Cut(h, ": ")
		require.True(t, ok, "header line %q", h)
		fx.Headers[k] = v
	}
	return fx
}

// exchangeTimeout bounds one exchange, so that an agent that does not
// answer (or a request whose Content-Length promises more) fails the test
// instead of hanging it.
const exchangeTimeout = time.Minute

// Exchange writes raw to the agent at address on network ("unix" or
// "tcp") and reads one answer.
func Exchange(t testing.TB, network, address string, raw []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial(network, address)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(exchangeTimeout)))
	_, err = conn.Write(raw)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// MatchBody matches an answer against a fixture body: exactly when the
// fixture has no shapes or is not JSON, else as ordered JSON.
func MatchBody(t testing.TB, want string, got []byte) {
	t.Helper()
	if want == "<any>" {
		return
	}
	if !strings.Contains(want, "<") || !json.Valid([]byte(want)) {
		assert.Equal(t, want, string(got))
		return
	}
	w, err := parseOrdered([]byte(want))
	require.NoError(t, err, "fixture body")
	g, err := parseOrdered(got)
	require.NoError(t, err, "answer body: %s", got)
	matchValue(t, "$", w, g)
}

// ordered is a JSON value that keeps object key order.
type ordered struct {
	keys []string
	vals []ordered
	list []ordered
	kind byte // '{', '[', 's' (string), 'v' (other scalar)
	s    string
	v    any
}

// parseOrdered parses one JSON value keeping key order.
func parseOrdered(b []byte) (ordered, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return readOrdered(dec)
}

func readOrdered(dec *json.Decoder) (ordered, error) {
	tok, err := dec.Token()
	if err != nil {
		return ordered{}, err
	}
	switch v := tok.(type) {
	case json.Delim:
		o := ordered{kind: byte(v)}
		for dec.More() {
			if v == '{' {
				k, err := dec.Token()
				if err != nil {
					return o, err
				}
				o.keys = append(o.keys, k.(string))
			}
			c, err := readOrdered(dec)
			if err != nil {
				return o, err
			}
			if v == '{' {
				o.vals = append(o.vals, c)
			} else {
				o.list = append(o.list, c)
			}
		}
		_, err := dec.Token()
		return o, err
	case string:
		return ordered{kind: 's', s: v}, nil
	default:
		return ordered{kind: 'v', v: v}, nil
	}
}

// matchValue matches got against want, where a want string in angle
// brackets is a shape.
func matchValue(t testing.TB, path string, want, got ordered) {
	t.Helper()
	if want.kind == 's' && strings.HasPrefix(want.s, "<") && strings.HasSuffix(want.s, ">") {
		if !assert.Equal(t, byte('s'), got.kind, "%s: expected a string", path) {
			return
		}
		matchShape(t, path, want.s[1:len(want.s)-1], got.s)
		return
	}
	if !assert.Equal(t, string(want.kind), string(got.kind), "%s: JSON type", path) {
		return
	}
	switch want.kind {
	case '{':
		if !assert.Equal(t, want.keys, got.keys, "%s: keys in order", path) {
			return
		}
		for i, k := range want.keys {
			matchValue(t, path+"."+k, want.vals[i], got.vals[i])
		}
	case '[':
		if !assert.Len(t, got.list, len(want.list), "%s: length", path) {
			return
		}
		for i := range want.list {
			matchValue(t, fmt.Sprintf("%s[%d]", path, i), want.list[i], got.list[i])
		}
	case 's':
		assert.Equal(t, want.s, got.s, path)
	default:
		assert.Equal(t, fmt.Sprint(want.v), fmt.Sprint(got.v), path)
	}
}

// matchShape checks a string against a shape of the fixture format.
func matchShape(t testing.TB, path, shape, s string) {
	t.Helper()
	name, arg, _ := strings.Cut(shape, ":")
	switch name {
	case "string":
	case "starts":
		assert.True(t, strings.HasPrefix(s, arg), "%s: %q should start with %q", path, s, arg)
	case "hex":
		assert.True(t, isLowerHex(s) && s != "", "%s: expected lower-case hex, found %q", path, s)
		if arg != "" {
			n, err := strconv.Atoi(arg)
			require.NoError(t, err)
			assert.Len(t, s, 2*n, "%s: %d bytes of hex", path, n)
		}
	case "json-array", "json-object", "json-object-pretty":
		o, err := parseOrdered([]byte(s))
		if !assert.NoError(t, err, "%s: expected a string holding JSON", path) {
			return
		}
		kind := byte('{')
		if name == "json-array" {
			kind = '['
		}
		assert.Equal(t, string(kind), string(o.kind), path)
		pretty := strings.HasPrefix(s, "{\n  \"")
		assert.Equal(t, name == "json-object-pretty", pretty, "%s: pretty-printed", path)
	case "pem":
		b, rest := pem.Decode([]byte(s))
		if assert.NotNil(t, b, "%s: expected PEM", path) {
			assert.Equal(t, arg, b.Type, path)
			assert.Empty(t, rest, "%s: one block", path)
			assert.True(t, strings.HasSuffix(s, "\n"), "%s: ends in a newline", path)
		}
	default:
		t.Fatalf("%s: unknown shape %q", path, shape)
	}
}

func isLowerHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
