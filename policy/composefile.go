package policy

import (
	"crypto/sha256"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Limits on what Parse reads for compose_files: at most MaxComposeFiles
// files of at most MaxComposeFileSize bytes each.
const (
	MaxComposeFiles    = 64
	MaxComposeFileSize = 1 << 20
)

// ComposeFile is an app-compose.json named by path in a policy file. Parse
// reads it and records the SHA-256 of its exact bytes, which is what Check
// compares; the file holds only the path.
type ComposeFile struct {
	// Path is the file's path as written, relative to the policy file's
	// directory unless absolute.
	Path string
	// SHA256 is the SHA-256 of the file's bytes, set by Parse. A Policy
	// built in Go must set it; Validate refuses a compose file without it.
	SHA256 Hex
}

// MarshalText implements encoding.TextMarshaler: a compose file is written
// as its path.
func (c ComposeFile) MarshalText() ([]byte, error) { return []byte(c.Path), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It sets only the
// path; Parse computes the hash.
func (c *ComposeFile) UnmarshalText(text []byte) error {
	*c = ComposeFile{Path: string(text)}
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler: a compose file is a path.
func (c *ComposeFile) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a file path, found a %s", kindName(n.Kind))
	}
	*c = ComposeFile{Path: n.Value}
	return nil
}

// resolve reads the file relative to baseDir and sets c.SHA256.
func (c *ComposeFile) resolve(baseDir string) error {
	path := c.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	data, err := readFile(path, MaxComposeFileSize)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	c.SHA256 = sum[:]
	return nil
}
