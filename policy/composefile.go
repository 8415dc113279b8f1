package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/verify/compose"
)

// Limits on what Parse reads for compose_files: at most MaxComposeFiles
// files of at most MaxComposeFileSize bytes each.
const (
	MaxComposeFiles    = 64
	MaxComposeFileSize = 1 << 20
)

// ComposeFile is an app-compose.json named by path in a policy file. Parse
// reads it and records the SHA-256 of the text a CVM deployed with it
// shows, which is what Check compares; the file holds only the path and
// the form.
type ComposeFile struct {
	// Path is the file's path as written, relative to the policy file's
	// directory unless absolute.
	Path string
	// Form says which text of the file a CVM was deployed with: its exact
	// bytes ("", which Parse also makes of ComposeExact) or its SDK form
	// (ComposeSDK).
	Form ComposeForm
	// SHA256 is the SHA-256 of that text, set by Parse. A Policy built in
	// Go must set it; Validate refuses a compose file without it.
	SHA256 Hex
}

// ComposeForm says which text of an app-compose.json file is hashed.
type ComposeForm string

// Forms of a compose file.
const (
	// ComposeExact hashes the file's exact bytes: the file is the text
	// the CVM was deployed with. "" means the same.
	ComposeExact ComposeForm = "exact"
	// ComposeSDK hashes the file's SDK form (compose.Canonical): its JSON
	// with sorted keys, compact, as the dstack SDKs deploy it. Use it for
	// a pretty-printed file of an app deployed through the SDKs.
	ComposeSDK ComposeForm = "sdk"
)

// composeFileYAML is the mapping form of a compose file entry.
type composeFileYAML struct {
	Path string      `yaml:"path" json:"path"`
	Form ComposeForm `yaml:"form,omitempty" json:"form,omitempty"`
}

// MarshalYAML implements yaml.Marshaler: a compose file is written as its
// path, or as {path, form} when its form is not the default.
func (c ComposeFile) MarshalYAML() (any, error) {
	if c.Form == "" || c.Form == ComposeExact {
		return c.Path, nil
	}
	return composeFileYAML{c.Path, c.Form}, nil
}

// MarshalJSON implements json.Marshaler as MarshalYAML does.
func (c ComposeFile) MarshalJSON() ([]byte, error) {
	v, err := c.MarshalYAML()
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// UnmarshalYAML implements yaml.Unmarshaler: a compose file is a path, or
// a mapping {path, form} with form "exact" or "sdk".
func (c *ComposeFile) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*c = ComposeFile{Path: n.Value}
		return nil
	case yaml.MappingNode:
		var m composeFileYAML
		if err := decodeKnownFields(n, &m); err != nil {
			return err
		}
		if m.Form != "" && m.Form != ComposeExact && m.Form != ComposeSDK {
			return nodeError(n, "form: expected %q or %q, found %q", ComposeExact, ComposeSDK, m.Form)
		}
		if m.Form == ComposeExact {
			m.Form = "" // the default, written as a plain path
		}
		*c = ComposeFile{Path: m.Path, Form: m.Form}
		return nil
	}
	return nodeError(n, "expected a file path or {path, form}, found a %s", kindName(n.Kind))
}

// decodeKnownFields decodes a mapping node into v, refusing keys v does
// not have.
func decodeKnownFields(n *yaml.Node, v any) error {
	out, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return nodeError(n, "%v", err)
	}
	return nil
}

// resolve reads the file relative to baseDir and sets c.SHA256, of its
// exact bytes or of its SDK form.
func (c *ComposeFile) resolve(baseDir string) error {
	path := c.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	data, err := readFile(path, MaxComposeFileSize)
	if err != nil {
		return err
	}
	if c.Form == ComposeSDK {
		if data, err = compose.Canonical(data); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(data)
	c.SHA256 = sum[:]
	return nil
}
