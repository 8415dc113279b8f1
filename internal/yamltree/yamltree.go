// Package yamltree checks YAML node trees from untrusted input in time
// linear in their size, for the parsers that read YAML (policy files, the
// docker-compose file of a dstack app compose).
//
// go.yaml.in/yaml/v3 checks a mapping for duplicate keys by comparing every
// key with every later one when it decodes the mapping into a Go map: a
// mapping of n keys costs n²/2 comparisons, minutes for a megabyte of
// keys. Decoding into a *yaml.Node skips that check; Walk then does it with
// a set per mapping.
package yamltree

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/internal/clip"
)

// Error is a node tree that Walk refuses: what was expected and what was
// found, at a line of the document.
type Error struct {
	Line            int
	Expected, Found string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("line %d: expected %s, found %s", e.Line, e.Expected, e.Found)
}

// Walk visits n and every node under it once, depth first in document
// order, without following aliases, and calls visit on each. It refuses,
// with an *Error, a tree nested deeper than maxDepth levels below n, a
// mapping key that is not a scalar, and a key that appears twice in one
// mapping (keys compare by their text, as the YAML decoder compares them);
// an error from visit stops the walk and is returned as it is.
func Walk(n *yaml.Node, maxDepth int, visit func(*yaml.Node) error) error {
	return walk(n, maxDepth, 0, visit)
}

func walk(n *yaml.Node, maxDepth, depth int, visit func(*yaml.Node) error) error {
	if depth > maxDepth {
		return &Error{Line: n.Line, Expected: fmt.Sprintf("at most %d levels of nesting", maxDepth), Found: "more"}
	}
	if err := visit(n); err != nil {
		return err
	}
	if n.Kind == yaml.MappingNode {
		if err := checkKeys(n); err != nil {
			return err
		}
	}
	if n.Kind == yaml.AliasNode {
		return nil
	}
	for _, c := range n.Content {
		if err := walk(c, maxDepth, depth+1, visit); err != nil {
			return err
		}
	}
	return nil
}

// smallMapping is the size up to which checkKeys compares keys pairwise,
// which is cheaper than a set.
const smallMapping = 8

// checkKeys refuses non-scalar and duplicate keys in the mapping m.
func checkKeys(m *yaml.Node) error {
	n := len(m.Content) / 2
	var seen map[string]int
	if n > smallMapping {
		seen = make(map[string]int, n)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			return &Error{Line: k.Line, Expected: "a scalar mapping key", Found: withArticle(KindName(k.Kind))}
		}
		first := 0
		if seen != nil {
			first = seen[k.Value]
			seen[k.Value] = k.Line
		} else {
			for j := 0; j < i; j += 2 {
				if m.Content[j].Value == k.Value {
					first = m.Content[j].Line
					break
				}
			}
		}
		if first != 0 {
			return &Error{Line: k.Line, Expected: "each key once in a mapping", Found: fmt.Sprintf("%s again (first at line %d)", quoteShort(k.Value), first)}
		}
	}
	return nil
}

// KindName names a YAML node kind for error messages.
func KindName(k yaml.Kind) string {
	switch k {
	case yaml.DocumentNode:
		return "document"
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "node of kind " + strconv.Itoa(int(k))
}

// withArticle puts "a" or "an" before a kind name.
func withArticle(name string) string {
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	return clip.Quote(s, 64)
}
