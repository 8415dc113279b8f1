package jsonshape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Object reads raw, which must hold one JSON object and nothing else but
// whitespace, and returns its members by key. Keys are exact (after JSON
// unescaping, as serde reads them): encoding/json's case-insensitive
// matching into a struct does not apply, so a "Name" never stands in for
// a "name". A key given twice is an error, where encoding/json would keep
// the last. Object reads each byte once.
func Object(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("expected a JSON object, found %s", Kind(raw))
	}
	members := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // inside an object, Token yields keys as strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := members[key]; dup {
			return nil, fmt.Errorf("expected each key once, found %q twice", key)
		}
		members[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("expected nothing after the JSON object")
	}
	return members, nil
}
