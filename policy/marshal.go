package policy

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// header opens every marshaled policy so that a reader knows the rules.
const header = `# cvmgate policy (https://github.com/cvmgate/cvmgate, package policy).
# Every list is an allowlist: a value must be listed to pass. An absent list
# is not checked; an empty list ([]) accepts nothing. Unknown keys are errors.
`

// scriptsHeader follows header in a policy that lists scripts.
const scriptsHeader = `# app.allowed_scripts is the exception: it only narrows require_pinned_images
# (absent, it accepts no script). Read every script it lists: each runs as root.
`

// Marshal writes p as YAML in the file format Parse reads: fields in a
// fixed order, hex in lower case, absent lists omitted and empty ones
// written as [], after a comment explaining the rules (and, when p lists
// scripts, asking for them to be read). compose_files are written as their
// paths. Parse(Marshal(p)) yields an equivalent policy when the compose
// files are still in place.
func (p *Policy) Marshal() ([]byte, error) { return p.write(p) }

// write writes doc, p or a node tree of it, as YAML after the comments
// that open every file Marshal writes.
func (p *Policy) write(doc any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(header)
	if len(p.App.AllowedScripts) > 0 {
		buf.WriteString(scriptsHeader)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
