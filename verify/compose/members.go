package compose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cvmgate/cvmgate/internal/clip"
	"github.com/cvmgate/cvmgate/internal/jsonshape"
)

// dstackKeys lists the app-compose.json keys dstack reads: the fields of
// its AppCompose struct (serde), the keys its shell scripts read with jq,
// and the keys Phala's default pre-launch script reads.
var dstackKeys = []string{
	"manifest_version", "name", "features", "runner", "snapshotter",
	"docker_compose_file", "init_script", "pre_launch_script", "bash_script",
	"public_logs", "public_sysinfo", "public_tcbinfo", "kms_enabled",
	"gateway_enabled", "tproxy_enabled", "local_key_provider_enabled",
	"key_provider", "key_provider_id", "allowed_envs", "no_instance_id",
	"secure_time", "storage_fs", "swap_size", "event_log_version",
	"port_policy", "requirements", "verity_volumes", "docker_config",
	"default_gateway_domain",
}

// longestDstackKey bounds the keys worth comparing with dstackKeys: a
// case-folded variant is at most three times longer in UTF-8 (the Kelvin
// sign folds to k).
var longestDstackKey = func() int {
	n := 0
	for _, k := range dstackKeys {
		n = max(n, len(k))
	}
	return n
}()

// members holds the top-level members of an app-compose.json object.
type members map[string]json.RawMessage

// readMembers reads the top-level object of raw member by member. A key
// may appear once, and a key that differs only in case from a key dstack
// reads is refused: serde reads exact keys, jq takes the last of
// duplicates, and a reader that folds case (Go's encoding/json into a
// struct) would take either.
func readMembers(raw []byte) (members, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{', checked by the caller
		return nil, malformed("a JSON object", err.Error())
	}
	m := members{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("app-compose JSON", err.Error())
		}
		key, _ := tok.(string) // inside an object, the decoder yields only string keys
		if _, dup := m[key]; dup {
			return nil, malformed("each key once", "a second "+strconv.Quote(shown(key)))
		}
		if k, ok := caseVariant(key); ok {
			return nil, malformed("the key "+strconv.Quote(k)+" spelled exactly", strconv.Quote(shown(key)))
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, malformedAt(strconv.Quote(shown(key)), "a JSON value", err.Error())
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, malformed("the end of the JSON object", err.Error())
	}
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		found := fmt.Sprint(tok)
		if err != nil {
			found = err.Error()
		}
		return nil, malformed("nothing after the JSON object", found)
	}
	return m, nil
}

// caseVariant returns the dstack key that key spells in another case.
func caseVariant(key string) (string, bool) {
	if len(key) > 3*longestDstackKey {
		return "", false
	}
	for _, k := range dstackKeys {
		if key != k && strings.EqualFold(key, k) {
			return k, true
		}
	}
	return "", false
}

// optionalString returns the string value of key, or "" when the key is
// absent or null.
func (m members) optionalString(key string) (string, error) {
	v := m[key]
	if jsonshape.IsNull(v) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", malformedAt(key, "a string", jsonshape.Kind(v))
	}
	return s, nil
}

// stringList returns the list of strings under key; nil when the key is
// absent or null.
func (m members) stringList(key string) ([]string, error) {
	v := m[key]
	if jsonshape.IsNull(v) {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, malformedAt(key, "a list of strings", jsonshape.Kind(v))
	}
	return list, nil
}

// shown cuts s to a length fit for an error message.
func shown(s string) string { return clip.String(s, 64) }
