package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
)

// jsonDoc is docs/json.md, the reference of the JSON output.
const jsonDoc = "../../docs/json.md"

// docField is one documented field: its type and whether it may be absent.
type docField struct {
	typ      string
	optional bool
}

// readJSONDoc parses the tables of docs/json.md: the object each table
// documents (its "<!-- object: NAME -->" marker) and its fields.
func readJSONDoc(t *testing.T) map[string]map[string]docField {
	t.Helper()
	f, err := os.Open(jsonDoc)
	require.NoError(t, err)
	defer f.Close()
	marker := regexp.MustCompile(`^<!-- object: ([a-z_-]+) -->$`)
	row := regexp.MustCompile("^\\| `([a-z0-9_]+)` \\| ([^|]+) \\|")
	objects := map[string]map[string]docField{}
	var current string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := marker.FindStringSubmatch(line); m != nil {
			current = m[1]
			objects[current] = map[string]docField{}
			continue
		}
		if current == "" {
			continue
		}
		if m := row.FindStringSubmatch(line); m != nil {
			typ := strings.TrimSpace(m[2])
			typ, optional := strings.CutSuffix(typ, ", optional")
			objects[current][m[1]] = docField{typ, optional}
		} else if !strings.HasPrefix(line, "|") {
			if len(objects[current]) > 0 {
				current = ""
			}
		}
	}
	require.NoError(t, sc.Err())
	return objects
}

// checkDocumented checks v, a decoded JSON object, against the documented
// object name: every field printed is documented with its type, and every
// field not optional is printed.
func checkDocumented(t *testing.T, doc map[string]map[string]docField, name string, v any, where string) {
	t.Helper()
	fields, ok := doc[name]
	require.True(t, ok, "docs/json.md documents no object %q", name)
	obj, ok := v.(map[string]any)
	require.True(t, ok, "%s: expected an object, found %T", where, v)
	for key, val := range obj {
		f, ok := fields[key]
		if !assert.True(t, ok, "%s: field %q is printed but not documented in %s", where, key, name) {
			continue
		}
		checkType(t, doc, f.typ, val, where+"."+key)
	}
	for key, f := range fields {
		if _, ok := obj[key]; !ok {
			assert.True(t, f.optional, "%s: documented field %q is not printed", where, key)
		}
	}
}

// checkType checks that v has the documented type typ.
func checkType(t *testing.T, doc map[string]map[string]docField, typ string, v any, where string) {
	t.Helper()
	for _, alt := range strings.Split(typ, " or ") {
		if typeMatches(t, doc, alt, v, where) {
			return
		}
	}
	t.Errorf("%s: expected %s, found %T %v", where, typ, v, v)
}

// typeMatches reports whether v is of type alt, checking the elements of
// documented arrays and objects as it goes.
func typeMatches(t *testing.T, doc map[string]map[string]docField, alt string, v any, where string) bool {
	t.Helper()
	switch {
	case alt == "null":
		return v == nil
	case alt == "string":
		_, ok := v.(string)
		return ok
	case alt == "boolean":
		_, ok := v.(bool)
		return ok
	case alt == "number":
		_, ok := v.(float64)
		return ok
	case alt == "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case alt == "object":
		_, ok := v.(map[string]any)
		return ok
	case strings.HasPrefix(alt, "array of "):
		list, ok := v.([]any)
		if !ok {
			return false
		}
		elem := strings.TrimPrefix(alt, "array of ")
		for i, e := range list {
			checkType(t, doc, elem, e, where+"["+strconv.Itoa(i)+"]")
		}
		return true
	case doc[alt] != nil:
		if _, ok := v.(map[string]any); !ok {
			return false
		}
		checkDocumented(t, doc, alt, v, where)
		return true
	}
	t.Fatalf("docs/json.md: unknown type %q at %s", alt, where)
	return false
}

// decodeObject decodes one JSON object from stdout.
func decodeObject(t *testing.T, stdout string) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), "%q", stdout)
	return v
}

// TestJSONMatchesDocs runs every command that prints JSON in each of its
// outcomes and checks the output against docs/json.md.
func TestJSONMatchesDocs(t *testing.T) {
	doc := readJSONDoc(t)
	evidenceDoc := map[string]docField{}
	maps.Copy(evidenceDoc, doc["result"])
	maps.Copy(evidenceDoc, doc["evidence"])
	doc["evidence-result"] = evidenceDoc
	liveDoc := maps.Clone(evidenceDoc)
	maps.Copy(liveDoc, doc["live"])
	doc["live-result"] = liveDoc
	live := newLiveCVM(t)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"quote":{"verified":true},"checksum":"ab"}`))
	}))
	t.Cleanup(fake.Close)

	s := newSynthetic(t, cvmtest.QuoteOptions{})
	out := newOutOfDate(t)
	nonce := hex.EncodeToString([]byte{1, 31: 0})
	att, info := appFiles(t, s, &cvmtest.App{}, [32]byte{1}, [32]byte{})
	otherApp := writeFile(t, "policy.yaml", []byte("version: 1\napp: {app_ids: ["+strings.Repeat("00", 20)+"]}\nchannel: {binding: none}\n"))
	trust := []string{"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}
	evidence := func(extra ...string) []string {
		return append(append([]string{"evidence", "verify", "--attestation", att, "--json"}, trust...), extra...)
	}

	tests := []struct {
		name   string
		object string
		args   []string
		code   int
	}{
		{"quote accepted", "result", append(s.args(s.quoteHex), "--json"), exitOK},
		{"quote refused", "result", append(out.args(out.quoteHex), "--json"), exitRefused},
		{"quote unreadable", "result", append(s.args(writeFile(t, "q", []byte("hello"))), "--json"), exitRefused},
		{"quote without a verdict", "result", []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", s.rootPEM, "--pccs", closedURL(t), "--json"}, exitNoVerdict},
		{"evidence accepted", "evidence-result", evidence("--info", info, "--no-policy", "--nonce", nonce), exitOK},
		{"evidence refused by a policy", "evidence-result", evidence("--info", info, "--policy", otherApp, "--nonce", nonce), exitRefused},
		{"evidence malformed", "evidence-result", append([]string{"evidence", "verify", "--attestation", s.quoteHex, "--json", "--no-policy"}, trust...), exitRefused},
		{"verify accepted", "live-result", live.args("--policy", live.policy, "--remote-verifier", fake.URL, "--save-evidence", t.TempDir(), "--json"), exitOK},
		{"verify refused", "live-result", live.args("--json"), exitRefused},
		{"verify without a verdict", "live-result", []string{"verify", "https" + strings.TrimPrefix(closedURL(t), "http"), "--no-policy", "--json"}, exitNoVerdict},
		{"quote decode", "decode", []string{"quote", "decode", "--quote", s.quoteHex}, exitOK},
		{"policy check", "policy-check", []string{"policy", "check", "--json", otherApp}, exitOK},
		{"hash-compose", "hash-compose", []string{"policy", "hash-compose", "--json", writeFile(t, "c.json", []byte(`{"a":1}`))}, exitOK},
		{"version", "version", []string{"version", "--json"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			require.Equal(t, tt.code, code, stderr)
			v := decodeObject(t, stdout)
			checkDocumented(t, doc, tt.object, v, tt.name)
			assert.Equal(t, float64(schemaVersion), v["schema_version"])
		})
	}
}

// TestJSONDocsNameEveryKind: every error kind and check is in the docs.
func TestJSONDocsNameEveryKind(t *testing.T) {
	data, err := os.ReadFile(filepath.Clean(jsonDoc))
	require.NoError(t, err)
	text := string(data)
	for _, k := range verify.Kinds() {
		assert.Contains(t, text, "`"+string(k)+"`", "kind %s", k)
	}
	for _, n := range verify.CheckNames() {
		assert.Contains(t, text, "`"+string(n)+"`", "check %s", n)
	}
	for _, s := range verify.Statuses() {
		if !slices.Contains([]verify.TCBStatus{verify.StatusUnknown}, s) {
			assert.Contains(t, text, "`"+string(s)+"`", "status %s", s)
		}
	}
}
