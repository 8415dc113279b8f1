package compose

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// resolver looks keys up in YAML mappings as the YAML decoder Docker
// Compose uses resolves them: a mapping's own keys win, then the mappings
// of its merge key ("<<: *anchor" or "<<: [*a, *b]") in order, each with
// its own merge key in turn. Lookups of large mappings and of mappings
// with a merge key are memoized, so that a mapping that many others merge
// or alias is read once per set of keys, however often it is used; a
// small mapping without a merge key costs little to read again.
type resolver struct {
	memo map[memoKey]*lookupResult
}

// smallMapping is the number of entries up to which a mapping without a
// merge key is read again rather than memoized.
const smallMapping = 8

// keySet names the keys one lookup reads from a mapping.
type keySet int

const (
	rootKeys    keySet = iota // of the document: include, services
	serviceKeys               // of a service: image, build, extends
	extendsKeys               // of a service's extends: service, file
)

var keySets = [...][]string{
	rootKeys:    {"include", "services"},
	serviceKeys: {"image", "build", "extends"},
	extendsKeys: {"service", "file"},
}

// values holds a lookup's entries in the order of its key set; a nil
// value is absent. A key present with a null value is present: it hides a
// merged one.
type values [3]entry

type memoKey struct {
	m   *yaml.Node
	set keySet
}

// lookupResult is a lookup's values, and the length of the chain of merge
// keys followed to find them.
type lookupResult struct {
	values values
	height int
	active bool // the lookup is under way
}

func newResolver() *resolver {
	return &resolver{memo: map[memoKey]*lookupResult{}}
}

// lookup returns the values of the key set in the mapping m.
func (r *resolver) lookup(m *yaml.Node, set keySet) (values, error) {
	res, err := r.lookupAt(m, set, 0)
	return res.values, err
}

func (r *resolver) lookupAt(m *yaml.Node, set keySet, depth int) (lookupResult, error) {
	lk := memoKey{m, set}
	large := len(m.Content) > 2*smallMapping
	if large {
		if res, ok := r.memo[lk]; ok {
			return r.memoized(m, res)
		}
	}
	keys := keySets[set]
	var res lookupResult
	var merge *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMerge(k) {
			merge = v
			continue
		}
		for j, key := range keys {
			if res.values[j].value == nil && k.Value == key {
				res.values[j] = entry{k, v}
			}
		}
	}
	if merge == nil {
		if large {
			r.memo[lk] = &res
		}
		return res, nil
	}
	if !large {
		if prev, ok := r.memo[lk]; ok {
			return r.memoized(m, prev)
		}
	}
	if depth > MaxDepth {
		return res, tooDeepMerge(m)
	}
	r.memo[lk] = &lookupResult{active: true}
	sources, err := mergeSources(merge)
	if err != nil {
		return res, err
	}
	for _, src := range sources {
		if res.complete(len(keys)) {
			break
		}
		sub, err := r.lookupAt(src, set, depth+1)
		if err != nil {
			return res, err
		}
		res.height = max(res.height, sub.height+1)
		for j := range keys {
			if res.values[j].value == nil {
				res.values[j] = sub.values[j]
			}
		}
	}
	// The height, unlike the depth, does not depend on which lookups came
	// first: a chain too long is refused whichever end is read first.
	if res.height > MaxDepth {
		return res, tooDeepMerge(m)
	}
	r.memo[lk] = &res
	return res, nil
}

// memoized returns a memoized result, refusing one still under way: the
// mapping merges itself.
func (r *resolver) memoized(m *yaml.Node, res *lookupResult) (lookupResult, error) {
	if res.active {
		return lookupResult{}, yamlMalformed("", m, "no merge key that merges its own mapping")
	}
	return *res, nil
}

// complete reports whether the first n values are all found.
func (res *lookupResult) complete(n int) bool {
	for _, e := range res.values[:n] {
		if e.value == nil {
			return false
		}
	}
	return true
}

func tooDeepMerge(m *yaml.Node) error {
	return yamlMalformed("", m, fmt.Sprintf("merge keys nested at most %d deep", MaxDepth))
}

// entry is a key of a mapping and its value.
type entry struct{ key, value *yaml.Node }

// entries returns every key of the mapping m with its value, merged keys
// included: its own keys in order, then those of its merge sources that it
// does not already have, depth first. Each mapping is read once. index
// maps each key to its entry.
func (r *resolver) entries(m *yaml.Node) (out []entry, index map[string]int, err error) {
	index = make(map[string]int, len(m.Content)/2)
	visited := map[*yaml.Node]bool{}
	var add func(m *yaml.Node, depth int) error
	add = func(m *yaml.Node, depth int) error {
		if visited[m] {
			return nil
		}
		if depth > MaxDepth {
			return tooDeepMerge(m)
		}
		visited[m] = true
		var merge *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if isMerge(k) {
				merge = v
				continue
			}
			if _, seen := index[k.Value]; !seen {
				index[k.Value] = len(out)
				out = append(out, entry{k, v})
			}
		}
		if merge == nil {
			return nil
		}
		sources, err := mergeSources(merge)
		if err != nil {
			return err
		}
		for _, src := range sources {
			if err := add(src, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return out, index, add(m, 0)
}

// mergeSources returns the mappings a merge key's value names: a mapping,
// an alias of one, or a list of those. As in the YAML decoder, an alias of
// a list is refused, so that a list of sources is read only where it is
// written.
func mergeSources(v *yaml.Node) ([]*yaml.Node, error) {
	if v.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, len(v.Content))
		for i, c := range v.Content {
			m := deref(c)
			if m == nil || m.Kind != yaml.MappingNode {
				return nil, yamlMalformed("", c, "a mapping or an alias of one to merge")
			}
			out[i] = m
		}
		return out, nil
	}
	m := deref(v)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, yamlMalformed("", v, "a mapping, an alias of one or a list of them to merge")
	}
	return []*yaml.Node{m}, nil
}

// isMerge reports whether the key k is a merge key. A quoted "<<" counts
// too: whether Compose merges it or reads it as a key it does not know,
// treating it as a merge shows at least what Compose might run.
func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Value == "<<" }

// deref returns the node an alias stands for, or n itself.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}
