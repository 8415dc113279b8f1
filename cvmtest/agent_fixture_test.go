package cvmtest_test

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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
)

// TestAgentFixtures sends each recorded request of testdata/agent, as
// bytes, to the fake agent on a unix socket and matches its answer (see
// testdata/agent/README.md for the format).
func TestAgentFixtures(t *testing.T) {
	_, srv := cvmtest.StartAgent(t, cvmtest.AgentOptions{})
	files, err := filepath.Glob("testdata/agent/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			fx := readFixture(t, file)
			resp, body := exchange(t, srv.Endpoint, fx.request)
			assert.Equal(t, fx.status, resp.StatusCode)
			assert.Empty(t, resp.TransferEncoding, "answers are never chunked")
			assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"), "every answer has its Content-Length")
			for k, v := range fx.headers {
				assert.Equal(t, v, resp.Header.Get(k), "header %s", k)
			}
			if resp.StatusCode == http.StatusBadRequest {
				assert.True(t, bytes.HasPrefix(body, []byte("{\n  \"error\": ")), "errors are pretty-printed: %s", body)
				assert.False(t, bytes.HasSuffix(body, []byte("\n")), "no trailing newline")
			}
			matchBody(t, fx.body, body)
		})
	}
}

// fixture is one recorded exchange.
type fixture struct {
	request []byte // the request as sent, with its Content-Length
	status  int
	headers map[string]string
	body    string
}

// readFixture reads a fixture file.
func readFixture(t *testing.T, file string) fixture {
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
	fx := fixture{request: req.Bytes(), status: status, headers: map[string]string{}, body: strings.TrimSuffix(respBody, "\n")}
	for _, h := range lines[1:] {
		k, v, ok := strings.Cut(h, ": ")
		require.True(t, ok, "header line %q", h)
		fx.headers[k] = v
	}
	return fx
}

// exchange writes raw to the agent's socket and reads one answer.
func exchange(t *testing.T, socket string, raw []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("unix", socket)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write(raw)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// matchBody matches an answer against a fixture body: exactly when the
// fixture has no shapes or is not JSON, else as ordered JSON.
func matchBody(t *testing.T, want string, got []byte) {
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
func matchValue(t *testing.T, path string, want, got ordered) {
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
func matchShape(t *testing.T, path, shape, s string) {
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
