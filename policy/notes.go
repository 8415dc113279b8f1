package policy

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/verify"
)

// Notes are comments for MarshalWithNotes, keyed by a field's path in the
// file ("tcb.accept", "app.compose_hashes"), each written above its field.
type Notes map[string]string

// MarshalWithNotes is Marshal with a comment above each field that notes
// names, such as where a value came from.
func (p *Policy) MarshalWithNotes(notes Notes) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(p); err != nil {
		return nil, err
	}
	annotate(&doc, "", notes)
	return p.write(&doc)
}

// annotate sets the head comment of every key of the mapping n (at path
// prefix) that notes names, and descends into mappings.
func annotate(n *yaml.Node, prefix string, notes Notes) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		path := join(prefix, key.Value)
		if note := notes[path]; note != "" {
			key.HeadComment = wrapComment(note)
		}
		annotate(val, path, notes)
	}
}

// wrapComment breaks a note into comment lines of about 76 characters.
func wrapComment(s string) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > 76 {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// ReportNotes says where each field of FromReport(r) came from, for
// MarshalWithNotes: what a reviewer needs to judge each value.
func ReportNotes(r *verify.Report) Notes {
	n := Notes{
		"tcb.accept": fmt.Sprintf("The TCB status Intel's collateral gave this platform when it was verified (%s, %s).",
			r.TCBStatus, r.VerifiedAt.UTC().Format("2006-01-02")),
		"tcb.allow_debug": "A debug TD lets the host read and change its memory: never true in production.",
		"td":              "The TD's own configuration, from the verified quote's TD report.",
		"platform":        "MRTD and RTMR0-2 of the verified quote: the virtual firmware, its configuration, the kernel and its command line the CVM booted.",
		"os_image_hashes": "The dstack OS image, from the os-image-hash event of the event log, replayed to RTMR3.",
		"app.compose_hashes": "SHA-256 of the app's exact app-compose.json, from the compose-hash event of the event log. " +
			"A new release is a new hash: add it here before rolling it out.",
		"app.app_ids":               "The dstack app id, from the app-id event of the event log.",
		"app.key_providers":         "Where the CVM gets its keys, from the key-provider event of the event log (for a KMS, its root key).",
		"app.require_pinned_images": "True when every image the app compose runs is pinned by digest and nothing else runs unpinned.",
		"app.allowed_scripts":       "Scripts the app compose runs as root, by SHA-256 of their text: read each one.",
		"channel.binding":           "How the quote binds the TLS channel it was fetched over: spki means the CVM's own TLS key.",
		"attestation.max_age":       "How long a verification is relied on before the CVM is attested again.",
	}
	return n
}
