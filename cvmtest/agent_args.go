package cvmtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/cvmgate/cvmgate/internal/limits"
)

// agentArgs is the argument of a request as the real agent receives it:
// the JSON body of a POST, or the query of a GET (read as serde_qs does).
type agentArgs struct {
	body  []byte
	query url.Values
	get   bool
}

// readArgs reads r's argument, refusing a body over the agent's limit.
func readArgs(r *http.Request) (agentArgs, error) {
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return agentArgs{}, fmt.Errorf("failed to decode query: %v", err)
		}
		return agentArgs{query: q, get: true}, nil
	}
	body, err := limits.ReadAll(r.Body, maxAgentBody)
	if errors.Is(err, limits.ErrTooLarge) {
		return agentArgs{}, errors.New("payload too large")
	}
	if err != nil {
		return agentArgs{}, fmt.Errorf("failed to read body: %v", err)
	}
	return agentArgs{body: body}, nil
}

// fieldKind is the type of an argument field.
type fieldKind int

const (
	kindBytes   fieldKind = iota // hex string, 0x allowed
	kindString                   // string
	kindBool                     // bool
	kindU64                      // optional u64 (null allowed)
	kindStrings                  // array of strings
)

// fields decodes the argument into the fields of spec, as serde does for
// the agent's prost types: missing fields take their zero value, unknown
// fields are ignored, a known field given twice is an error. Values are
// []byte, string, bool, *uint64 or []string by kind.
func (a agentArgs) fields(spec map[string]fieldKind) (map[string]any, error) {
	out := make(map[string]any, len(spec))
	if a.get {
		return out, a.queryFields(spec, out)
	}
	if len(a.body) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("EOF while parsing a value: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("invalid type: %s, expected a struct", jsonTokenKind(tok))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		kind, known := spec[name]
		if !known {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("duplicate field `%s`", name)
		}
		v, err := decodeField(kind, raw)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing characters")
	}
	return out, nil
}

// decodeField decodes one JSON value of kind.
func decodeField(kind fieldKind, raw json.RawMessage) (any, error) {
	switch kind {
	case kindBytes:
		var s *string
		if err := json.Unmarshal(raw, &s); err != nil || s == nil {
			return nil, fmt.Errorf("invalid type: %s, expected a string", jsonKind(raw))
		}
		return decodeAgentHex(*s)
	case kindString:
		var s *string
		if err := json.Unmarshal(raw, &s); err != nil || s == nil {
			return nil, fmt.Errorf("invalid type: %s, expected a string", jsonKind(raw))
		}
		return *s, nil
	case kindBool:
		var b *bool
		if err := json.Unmarshal(raw, &b); err != nil || b == nil {
			return nil, fmt.Errorf("invalid type: %s, expected a boolean", jsonKind(raw))
		}
		return *b, nil
	case kindU64:
		var n *uint64
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("invalid type: %s, expected u64", jsonKind(raw))
		}
		return n, nil
	default: // kindStrings
		var ss []*string
		if err := json.Unmarshal(raw, &ss); err != nil || ss == nil {
			return nil, fmt.Errorf("invalid type: %s, expected a sequence", jsonKind(raw))
		}
		out := make([]string, len(ss))
		for i, s := range ss {
			if s == nil {
				return nil, errors.New("invalid type: null, expected a string")
			}
			out[i] = *s
		}
		return out, nil
	}
}

// indexed matches serde_qs's sequence keys: name[0], name[1], ...
var indexed = regexp.MustCompile(`^([a-z_]+)\[(\d+)\]$`)

// queryFields decodes a GET query as serde_qs does for flat structs:
// scalars as name=value, sequences as name[0]=a&name[1]=b.
func (a agentArgs) queryFields(spec map[string]fieldKind, out map[string]any) error {
	seqs := map[string]map[int]string{}
	for key, vals := range a.query {
		name, index := key, -1
		if m := indexed.FindStringSubmatch(key); m != nil {
			name = m[1]
			index, _ = strconv.Atoi(m[2])
		}
		kind, known := spec[name]
		if !known {
			continue
		}
		if len(vals) != 1 {
			return fmt.Errorf("duplicate field `%s`", key)
		}
		v := vals[0]
		if kind == kindStrings {
			if index < 0 {
				return fmt.Errorf("invalid type: string %q, expected a sequence", v)
			}
			if seqs[name] == nil {
				seqs[name] = map[int]string{}
			}
			seqs[name][index] = v
			continue
		}
		var err error
		switch kind {
		case kindBytes:
			out[name], err = decodeAgentHex(v)
		case kindString:
			out[name] = v
		case kindBool:
			out[name], err = strconv.ParseBool(v)
		case kindU64:
			var n uint64
			n, err = strconv.ParseUint(v, 10, 64)
			out[name] = &n
		}
		if err != nil {
			return fmt.Errorf("failed to parse field `%s`: %v", name, err)
		}
	}
	for name, m := range seqs {
		list := make([]string, len(m))
		for i, v := range m {
			if i >= len(list) {
				return fmt.Errorf("invalid sequence `%s`: missing index", name)
			}
			list[i] = v
		}
		out[name] = list
	}
	return nil
}

// decodeAgentHex decodes hex as the agent's serde helper does: every
// leading "0x" trimmed, then either case, even length.
func decodeAgentHex(s string) ([]byte, error) {
	for strings.HasPrefix(s, "0x") {
		s = s[2:]
	}
	b, err := hex.DecodeString(s)
	var inv hex.InvalidByteError
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, hex.ErrLength):
		return nil, agentText("Odd number of digits")
	case errors.As(err, &inv):
		i := strings.IndexByte(s, byte(inv))
		return nil, agentText(fmt.Sprintf("Invalid character %q at position %d", rune(inv), i))
	default:
		return nil, err
	}
}

// agentText is an error whose text is the real agent's, capitals included.
type agentText string

func (e agentText) Error() string { return string(e) }

// jsonKind names a raw JSON value as serde's "invalid type" errors do.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "map"
	case '[':
		return "sequence"
	case '"':
		return "string " + string(t)
	case 't', 'f':
		return "boolean `" + string(t) + "`"
	case 'n':
		return "null"
	}
	return "number `" + string(t) + "`"
}

// jsonTokenKind names a top-level token for jsonKind's messages.
func jsonTokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "sequence"
		}
		return "map"
	case string:
		return fmt.Sprintf("string %q", v)
	case bool:
		return fmt.Sprintf("boolean `%t`", v)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("number `%v`", v)
	}
}
