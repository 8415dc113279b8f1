package jsonread

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// skipAll reads one value and the end of the input.
func skipAll(b []byte) error {
	r := New(b)
	if _, err := r.Skip(); err != nil {
		return err
	}
	return r.End()
}

func TestSkipAgreesWithEncodingJSON(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tooDeep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	tests := []string{
		``, ` `, `null`, ` true `, `false`, `nul`, `nullx`, `tru`,
		`0`, `-0`, `-`, `01`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `-12.5e+3`, `.5`, `+1`, `0x1`,
		`""`, `"a"`, `"\u00e9"`, `"\uD83D\uDE00"`, `"\ud800"`, `"\x"`, `"\u12"`, `"a` + "\n" + `"`, `"` + "\x7f\xff" + `"`, `"abc`, `"\`,
		`[]`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`, `[`, `]`, `[1}`,
		`{}`, `{"a":1}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":[{"b":null}]}`, `{"a":1}}`, `{1:2}`,
		`[] []`, `{} x`, deep, tooDeep,
	}
	for _, in := range tests {
		name := in
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, json.Valid([]byte(in)), skipAll([]byte(in)) == nil)
		})
	}
}

func TestStringAgreesWithEncodingJSON(t *testing.T) {
	tests := []string{
		`""`, `"plain"`, `"tab\tquote\"slash\/back\\"`, `"\b\f\n\r"`, `"\u00e9\u0041"`, `"é"`,
		`"\uD83D\uDE00"`, `"\uD83D"`, `"\uDE00\uD83D"`, `"\uD83D\u0041"`, `"\uD83Dx"`, `"\uD83D\uD83D\uDE00"`,
		"\"\xff\xfe\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", `"\u0000"`,
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			var want string
			require.NoError(t, json.Unmarshal([]byte(in), &want))
			r := New([]byte(in))
			got, err := r.String()
			require.NoError(t, err)
			require.NoError(t, r.End())
			assert.Equal(t, want, string(got))
		})
	}
}

func TestStringAliasesPlainInput(t *testing.T) {
	in := []byte(`"abc"`)
	got, err := New(in).String()
	require.NoError(t, err)
	assert.Same(t, &in[1], &got[0], "a string without escapes is not copied")
}

func TestObjectAndArray(t *testing.T) {
	in := []byte(` {"a": [1, "x", null], "\u0062": {"c": true}, "d": -2.5e3} `)
	r := New(in)
	var keys []string
	var elems []Kind
	err := r.Object(func(name []byte) error {
		keys = append(keys, string(name))
		switch string(name) {
		case "a":
			return r.Array(func() error {
				elems = append(elems, r.Peek())
				_, err := r.Skip()
				return err
			})
		case "d":
			n, err := r.Number()
			assert.Equal(t, "-2.5e3", string(n))
			return err
		}
		v, err := r.Skip()
		assert.JSONEq(t, `{"c": true}`, string(v))
		return err
	})
	require.NoError(t, err)
	require.NoError(t, r.End())
	assert.Equal(t, []string{"a", "b", "d"}, keys)
	assert.Equal(t, []Kind{Number, String, Null}, elems)
}

func TestErrorsAreSyntaxErrors(t *testing.T) {
	for _, in := range []string{`{"a":1,}`, `[1 2]`, `"\q"`, `{"a" 1}`, `tru`} {
		err := skipAll([]byte(in))
		var se *SyntaxError
		require.ErrorAs(t, err, &se, in)
		assert.Contains(t, err.Error(), "expected", in)
	}
}

// TestEqualFoldAgreesWithEncodingJSON: a member name matches a field
// exactly when encoding/json would fill that field from it.
func TestEqualFoldAgreesWithEncodingJSON(t *testing.T) {
	for _, key := range []string{"digest", "DIGEST", "Digest", "digeſt", "dıgest", "digests", "dig", ""} {
		doc, err := json.Marshal(map[string]string{key: "x"})
		require.NoError(t, err)
		var v struct {
			Digest string `json:"digest"`
		}
		require.NoError(t, json.Unmarshal(doc, &v))
		assert.Equal(t, v.Digest == "x", EqualFold([]byte(key), "digest"), key)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Invalid: "nothing", Null: "null", Bool: "a boolean", Number: "a number", String: "a string", Array: "an array", Object: "an object"} {
		assert.Equal(t, want, k.String())
	}
}

// FuzzReader checks the reader against encoding/json: the same inputs are
// valid, a valid string has the same value, and an object has the same
// members, the last of duplicates winning.
func FuzzReader(f *testing.F) {
	for _, s := range []string{`{"a":[1,"\u00e9",null,true],"b":{"c":-1.5e3}}`, `"\uD83D\uDE00\ud800"`, "\"\xff\"", `[1,]`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		if got := skipAll(b) == nil; got != valid {
			t.Fatalf("reader says valid=%v, encoding/json %v", got, valid)
		}
		if !valid {
			return
		}
		r := New(b)
		switch r.Peek() {
		case Number:
			num, err := r.Number()
			if err != nil {
				t.Fatal(err)
			}
			checkIntegers(t, num)
		case String:
			var want string
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			got, err := r.String()
			if err != nil || string(got) != want {
				t.Fatalf("String() = %q, %v; encoding/json %q", got, err, want)
			}
			checkHex(t, b)
		case Object:
			var want map[string]json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			err := r.Object(func(name []byte) error {
				v, err := r.Skip()
				got[string(name)] = string(v)
				return err
			})
			if err != nil || len(got) != len(want) {
				t.Fatalf("Object: %d members, %v; encoding/json %d", len(got), err, len(want))
			}
			for k, v := range want {
				if got[k] != string(v) {
					t.Fatalf("member %q = %s; encoding/json %s", k, got[k], v)
				}
			}
		}
	})
}

// checkIntegers compares Int and Uint with strconv, which encoding/json
// decodes integers with.
func checkIntegers(t *testing.T, num []byte) {
	t.Helper()
	for _, bits := range []int{8, 16, 32, 64} {
		want, err := strconv.ParseInt(string(num), 10, bits)
		got, ok := Int(num, bits)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("Int(%s, %d) = %d, %v; strconv %d, %v", num, bits, got, ok, want, err)
		}
		wantU, err := strconv.ParseUint(string(num), 10, bits)
		gotU, ok := Uint(num, bits)
		if ok != (err == nil) || ok && gotU != wantU {
			t.Errorf("Uint(%s, %d) = %d, %v; strconv %d, %v", num, bits, gotU, ok, wantU, err)
		}
	}
}

func TestIntegers(t *testing.T) {
	for _, num := range []string{"0", "-0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "65535", "65536",
		"2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999", "1.0", "1e2", "-", ""} {
		checkIntegers(t, []byte(num))
	}
}

// checkHex checks Hex on the string b against String and hexfmt: when it
// decodes, it gives the same text and value; when it does not, the value
// is not plain hex text and the reader has not moved past white space.
func checkHex(t *testing.T, b []byte) {
	t.Helper()
	r := New(b)
	text, value, ok := r.Hex()
	s, err := New(b).String()
	if err != nil {
		t.Fatal(err)
	}
	want, hexErr := hexfmt.DecodeBytes(s)
	if !ok {
		if r.Offset() != len(b)-len(bytes.TrimLeft(b, " \t\r\n")) {
			t.Fatalf("Hex(%q) failed after moving to %d", b, r.Offset())
		}
		if hexErr == nil && bytes.IndexByte(bytes.TrimSpace(b), '\\') < 0 {
			t.Fatalf("Hex(%q) refused plain hex", b)
		}
		return
	}
	if hexErr != nil || !bytes.Equal(value, want) || !bytes.Equal(text, s) || (value == nil) != (want == nil) {
		t.Fatalf("Hex(%q) = %q, %x; String and hexfmt give %q, %x, %v", b, text, value, s, want, hexErr)
	}
	if err := r.End(); err != nil {
		t.Fatalf("Hex(%q) left %v", b, err)
	}
}

func TestHex(t *testing.T) {
	for _, in := range []string{`""`, `"0x"`, `"0X"`, `"00ff"`, `"0xABcd"`, `"abc"`, `"zz"`, `"0x0x00"`, `"\u0030\u0030"`, `"00\n"`, `"é"`, ` "01" `} {
		t.Run(in, func(t *testing.T) { checkHex(t, []byte(in)) })
	}
	_, _, ok := New([]byte(`5`)).Hex()
	assert.False(t, ok, "a number is not a hex string")
	_, _, ok = New([]byte(`"0011`)).Hex()
	assert.False(t, ok, "an unterminated string is not a hex string")
}
