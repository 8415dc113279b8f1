package compose_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

// sdkVector is the example of the research notes (dstack.md §4.1), keys in
// the order a person typed them.
const sdkVector = `{"runner":"docker-compose","name":"demo","manifest_version":2,"docker_compose_file":"services:\n  app:\n    image: nginx@sha256:abcd\n","kms_enabled":true,"gateway_enabled":true,"public_logs":false,"allowed_envs":["API_KEY"],"key_provider_id":"","requirements":{"platforms":["dstack-tdx"],"os_version":">=0.5.7"},"note":"héllo <&>\t"}`

// TestCanonicalSDKVector: the notes' vector, byte for byte and by hash.
func TestCanonicalSDKVector(t *testing.T) {
	got, err := compose.Canonical([]byte(sdkVector))
	require.NoError(t, err)
	assert.Equal(t, `{"allowed_envs":["API_KEY"],"docker_compose_file":"services:\n  app:\n    image: nginx@sha256:abcd\n","gateway_enabled":true,"key_provider_id":"","kms_enabled":true,"manifest_version":2,"name":"demo","note":"héllo <&>\t","public_logs":false,"requirements":{"os_version":">=0.5.7","platforms":["dstack-tdx"]},"runner":"docker-compose"}`, string(got))
	sum := sha256.Sum256(got)
	assert.Equal(t, "cca0071e15663991a794ac5d25c6facbd84b1aea149552d588189e3e774dd385", hex.EncodeToString(sum[:]))
}

// TestCanonicalMatchesJavaScript compares with what the SDK's algorithm
// (keys sorted recursively, then JSON.stringify) gives under Node.js; the
// expected texts are Node's output, as JSON string literals.
func TestCanonicalMatchesJavaScript(t *testing.T) {
	tests := []struct {
		name, in, want, sha256 string
	}{
		{
			"null, an empty script and 1.0 kept as JavaScript keeps them",
			strings.TrimSuffix(sdkVector, "}") + `,"pre_launch_script":"","swap_size":1.0,"opt":null}`,
			`"{\"allowed_envs\":[\"API_KEY\"],\"docker_compose_file\":\"services:\\n  app:\\n    image: nginx@sha256:abcd\\n\",\"gateway_enabled\":true,\"key_provider_id\":\"\",\"kms_enabled\":true,\"manifest_version\":2,\"name\":\"demo\",\"note\":\"héllo <&>\\t\",\"opt\":null,\"pre_launch_script\":\"\",\"public_logs\":false,\"requirements\":{\"os_version\":\">=0.5.7\",\"platforms\":[\"dstack-tdx\"]},\"runner\":\"docker-compose\",\"swap_size\":1}"`,
			"3749966a16cdb4b58aa1c69ad3e8b3e436b96d22414539d9b7741e88533fefa3",
		},
		{
			"array-index keys first, numerically",
			`{"b":1,"10":2,"9":3,"a":4,"4294967295":5,"4294967294":6,"01":7,"":8}`,
			`"{\"9\":3,\"10\":2,\"4294967294\":6,\"\":8,\"01\":7,\"4294967295\":5,\"a\":4,\"b\":1}"`,
			"4982330a8190161f1ac42363971cba2e40c9a60d5a34936238fab313de7f73bb",
		},
		{
			"numbers as Number.prototype.toString writes them",
			`{"n":[1.0,-0,1e21,1e-7,1.2345678901234568e20,0.000001,123e-20,1e400,-1e400,5e-324,0.1,100,1e20,-2.5e-7]}`,
			`"{\"n\":[1,0,1e+21,1e-7,123456789012345680000,0.000001,1.23e-18,null,null,5e-324,0.1,100,100000000000000000000,-2.5e-7]}"`,
			"a255049b5208ce3ab5cbfe09af1bf2be8c42b920a9ab2eaf47be2bdf11c887b6",
		},
		{
			"strings escaped as JSON.stringify escapes them, keys by UTF-16 code units",
			`{"s":"\u0000\u001f\u007f\u2028\u2029<>&\b\f\n\r\t\"\\/ é 😀","😀":1,"\uffff":2,"z":{"y":[{"b":1,"a":2}]}}`,
			"\"{\\\"s\\\":\\\"\\\\u0000\\\\u001f\u007f\u2028\u2029<>&\\\\b\\\\f\\\\n\\\\r\\\\t\\\\\\\"\\\\\\\\/ é 😀\\\",\\\"z\\\":{\\\"y\\\":[{\\\"a\\\":2,\\\"b\\\":1}]},\\\"😀\\\":1,\\\"\uffff\\\":2}\"",
			"2294ad0fa1ec7e5886bc75c9425a9754a130948139e783c4f636cb1f87f51be1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want string
			require.NoError(t, json.Unmarshal([]byte(tt.want), &want))
			got, err := compose.Canonical([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, want, string(got))
			sum := sha256.Sum256(got)
			assert.Equal(t, tt.sha256, hex.EncodeToString(sum[:]))
		})
	}
}

func TestCanonicalIgnoresLayout(t *testing.T) {
	pretty := "{\n    \"name\": \"demo\",\n    \"runner\": \"docker-compose\",\n    \"requirements\": {\n        \"platforms\": [ \"dstack-tdx\" ]\n    }\n}\n"
	got, err := compose.Canonical([]byte(pretty))
	require.NoError(t, err)
	assert.Equal(t, `{"name":"demo","requirements":{"platforms":["dstack-tdx"]},"runner":"docker-compose"}`, string(got))
	again, err := compose.Canonical(got)
	require.NoError(t, err)
	assert.Equal(t, got, again, "the canonical form is its own canonical form")
}

func TestCanonicalRefuses(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not an object", `["a"]`, "expected a JSON object"},
		{"empty", ``, "expected a JSON object"},
		{"invalid JSON", `{"a":}`, "invalid character"},
		{"trailing data", `{"a":1} {}`, "end of the document"},
		{"duplicate key", `{"a":1,"b":{"c":1,"c":2}}`, `found "c" twice`},
		{"lone high surrogate", `{"a":"\ud800x"}`, "lone surrogate"},
		{"lone low surrogate", `{"a":"\udc00"}`, "lone surrogate"},
		{"reversed pair", `{"a":"\udc00\ud800"}`, "lone surrogate"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "invalid UTF-8"},
		{"too deep", strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200), "nested levels"},
		{"too large", `{"a":"` + strings.Repeat("x", compose.MaxSize) + `"}`, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compose.Canonical([]byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, compose.ErrMalformed)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	got, err := compose.Canonical([]byte(`{"a":"\ud83d\ude00 \\ud800"}`))
	require.NoError(t, err, "a surrogate pair, and an escaped backslash before ud800, are fine")
	assert.Equal(t, `{"a":"😀 \\ud800"}`, string(got))
}

func ExampleCanonical() {
	deployed, err := compose.Canonical([]byte("{\n  \"runner\": \"docker-compose\",\n  \"name\": \"demo\"\n}\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", deployed)
	// Output:
	// {"name":"demo","runner":"docker-compose"}
}

func FuzzCanonical(f *testing.F) {
	f.Add([]byte(sdkVector))
	f.Add([]byte(`{"10":1,"9":[1e21,-0,"\u2028"],"a":null}`))
	f.Add([]byte(`{"a":"\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := compose.Canonical(b)
		if err != nil {
			require.ErrorIs(t, err, compose.ErrMalformed)
			return
		}
		require.True(t, json.Valid(got), "%q", got)
		again, err := compose.Canonical(got)
		require.NoError(t, err)
		require.Equal(t, got, again, "idempotent")
	})
}
