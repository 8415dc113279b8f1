package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/verify"
)

// MaxSize bounds a policy file.
const MaxSize = 256 << 10

// Load reads and parses the policy file at path; compose_files are read
// relative to the file's directory. Every error matches ErrInvalid except
// a failure to read the policy file itself.
func Load(path string) (*Policy, error) {
	data, err := readFile(path, MaxSize)
	if err != nil {
		if errors.Is(err, verify.ErrTooLarge) {
			return nil, &FieldError{Expected: fmt.Sprintf("at most %d bytes", MaxSize), Found: "more", Err: err}
		}
		return nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(data, filepath.Dir(path))
}

// Parse parses a YAML or JSON policy, reads its compose_files relative to
// baseDir (empty means the working directory), fills in defaults and
// validates it. Errors match ErrInvalid; field errors are *FieldError.
func Parse(data []byte, baseDir string) (*Policy, error) {
	if len(data) > MaxSize {
		return nil, &FieldError{Expected: fmt.Sprintf("at most %d bytes", MaxSize), Found: fmt.Sprintf("%d bytes", len(data)), Err: verify.ErrTooLarge}
	}
	data = bytes.TrimPrefix(data, []byte(byteOrderMark))
	if isJSON(data) {
		if !json.Valid(data) {
			return nil, &FieldError{Expected: "valid JSON (the document starts with '{')", Found: "invalid JSON"}
		}
		// Valid JSON has tabs only between tokens, never inside strings,
		// and YAML does not allow tabs everywhere JSON does.
		data = bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '})
	}
	p, err := decode(data)
	if err != nil {
		return nil, err
	}
	if n := len(p.App.ComposeFiles); n > MaxComposeFiles {
		return nil, &FieldError{Field: "app.compose_files", Expected: fmt.Sprintf("at most %d files", MaxComposeFiles), Found: fmt.Sprintf("%d", n)}
	}
	var errs []error
	for i := range p.App.ComposeFiles {
		if err := p.App.ComposeFiles[i].resolve(baseDir); err != nil {
			errs = append(errs, &FieldError{
				Field:    fmt.Sprintf("app.compose_files[%d]", i),
				Expected: "a readable app-compose.json",
				Found:    quoteShort(p.App.ComposeFiles[i].Path),
				Err:      err,
			})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// decode checks the document's structure and decodes it strictly into a
// Policy with its defaults.
func decode(data []byte) (p *Policy, err error) {
	// The YAML library reports its own errors by panicking and recovering;
	// should one escape on some input, it is an invalid policy, not a crash.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &FieldError{Expected: "a parsable YAML document", Found: fmt.Sprintf("parser failure: %v", r)}
		}
	}()
	if err := checkStructure(data); err != nil {
		return nil, err
	}
	p = &Policy{
		TCB:         TCB{Accept: List[verify.TCBStatus]{verify.StatusUpToDate}},
		Channel:     Channel{Binding: verify.BindingSPKI},
		Attestation: Attestation{MaxAge: DefaultMaxAge},
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}

const byteOrderMark = "\xef\xbb\xbf"

// isJSON reports whether the document's first character, after
// whitespace, opens a JSON object.
func isJSON(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// checkStructure parses data into a node tree and refuses what a reviewer
// could misread: more or fewer than one document, a root that is not a
// mapping, anchors, aliases, merge keys, explicit tags, null values and
// oversized mappings. Duplicate and unknown keys are left to the decoder.
func checkStructure(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &FieldError{Expected: "a policy document", Found: "an empty file"}
		}
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return &FieldError{Expected: "a single YAML document", Found: "more than one", Err: err}
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		found := "nothing"
		if len(doc.Content) == 1 {
			found = "a " + kindName(doc.Content[0].Kind)
		}
		return &FieldError{Expected: "a mapping at the top level", Found: found}
	}
	return walk(doc.Content[0], "", 0)
}

// Structure limits: the schema nests four levels and no mapping has more
// than seven keys; the limits leave room and keep the decoder's quadratic
// duplicate-key check small.
const (
	maxDepth       = 8
	maxMappingKeys = 32
)

// walk applies checkStructure's rules to n, found at path.
func walk(n *yaml.Node, path string, depth int) error {
	if depth > maxDepth {
		return &FieldError{Field: path, Expected: fmt.Sprintf("at most %d levels of nesting", maxDepth), Found: "more"}
	}
	where := func() string { return fmt.Sprintf("line %d", n.Line) }
	switch {
	case n.Kind == yaml.AliasNode || n.Anchor != "":
		return &FieldError{Field: path, Expected: "no anchors or aliases", Found: "one at " + where()}
	case n.Style&yaml.TaggedStyle != 0:
		return &FieldError{Field: path, Expected: "no explicit tags", Found: quoteShort(n.Tag) + " at " + where()}
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return &FieldError{Field: path, Expected: "a value ([] for an empty list)", Found: "null at " + where()}
	}
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) > 2*maxMappingKeys {
			return &FieldError{Field: path, Expected: fmt.Sprintf("at most %d keys", maxMappingKeys), Found: fmt.Sprintf("%d at %s", len(n.Content)/2, where())}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Style&yaml.TaggedStyle != 0 || k.Anchor != "" {
				return &FieldError{Field: path, Expected: "plain keys", Found: fmt.Sprintf("a complex key at line %d", k.Line)}
			}
			if k.ShortTag() == "!!merge" {
				return &FieldError{Field: path, Expected: "no merge keys", Found: fmt.Sprintf("<< at line %d", k.Line)}
			}
			if err := walk(v, join(path, k.Value), depth+1); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := walk(c, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
