package yamltree_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/internal/yamltree"
)

func parse(t *testing.T, doc string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(doc), &n))
	return &n
}

// keys returns a block mapping of n distinct keys, then extra.
func keys(n int, extra string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("k" + strconv.Itoa(i) + ": 1\n")
	}
	return b.String() + extra
}

func TestWalkRefuses(t *testing.T) {
	tests := []struct {
		name, doc string
		maxDepth  int
		want      string
	}{
		{"duplicate in a small mapping", "a: 1\nb: 2\na: 3\n", 8, `line 3: expected each key once in a mapping, found "a" again (first at line 1)`},
		{"duplicate in a large mapping", keys(100, "k42: 2\n"), 8, `line 101: expected each key once in a mapping, found "k42" again (first at line 43)`},
		{"duplicate spelled differently", "a: 1\n'a': 2\n", 8, `"a" again`},
		{"duplicate deep down", "a: {b: [{c: 1, c: 2}]}\n", 8, `"c" again`},
		{"long key clipped", strings.Repeat("x", 100) + ": 1\n" + strings.Repeat("x", 100) + ": 2\n", 8, `"` + strings.Repeat("x", 64) + `"... again`},
		{"complex key", "? [a]\n: 1\n", 8, "expected a scalar mapping key, found a list"},
		{"alias key", "a: &k x\n*k : 1\n", 8, "expected a scalar mapping key, found an alias"},
		{"too deep", "a: [[[1]]]\n", 3, "expected at most 3 levels of nesting, found more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := yamltree.Walk(parse(t, tc.doc), tc.maxDepth, func(*yaml.Node) error { return nil })
			var e *yamltree.Error
			require.ErrorAs(t, err, &e)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestWalkVisitsOnce(t *testing.T) {
	// The alias's anchor is visited where it is written, not again.
	doc := parse(t, "a: &x {b: 1}\nc: *x\nd: [*x, *x]\n")
	var scalars []string
	require.NoError(t, yamltree.Walk(doc, 4, func(n *yaml.Node) error {
		if n.Kind == yaml.ScalarNode {
			scalars = append(scalars, n.Value)
		}
		return nil
	}))
	assert.Equal(t, []string{"a", "b", "1", "c", "d"}, scalars)

	// A mapping at the depth limit passes; its merge keys are left alone.
	require.NoError(t, yamltree.Walk(parse(t, "a: [1]\n"), 3, func(*yaml.Node) error { return nil }))
	require.NoError(t, yamltree.Walk(parse(t, "x: &x {a: 1}\ny: {<<: *x, a: 2}\n"), 8, func(*yaml.Node) error { return nil }))
}

func TestWalkStopsAtVisitError(t *testing.T) {
	stop := assert.AnError
	err := yamltree.Walk(parse(t, "a: 1\n"), 8, func(n *yaml.Node) error {
		if n.Value == "1" {
			return stop
		}
		return nil
	})
	assert.Equal(t, stop, err)
}

func TestKindName(t *testing.T) {
	assert.Equal(t, "mapping", yamltree.KindName(yaml.MappingNode))
	assert.Equal(t, "list", yamltree.KindName(yaml.SequenceNode))
	assert.Equal(t, "node of kind 99", yamltree.KindName(99))
}
