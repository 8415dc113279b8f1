package compose_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/compose"
)

const pinnedImage = "x@" + evPinnedDigest

// TestParseConstructs: what a docker-compose file brings in from outside
// the app compose is reported with its line.
func TestParseConstructs(t *testing.T) {
	tests := []struct {
		name       string
		yaml       string
		constructs []compose.Construct
	}{
		{"none", "services:\n  a:\n    image: " + pinnedImage + "\n", nil},
		{"include", "include:\n  - other.yaml\nservices:\n  a:\n    image: " + pinnedImage + "\n",
			[]compose.Construct{{Name: compose.ConstructInclude, Line: 1}}},
		{"include alone", "include: [https://example.com/evil.git]\n",
			[]compose.Construct{{Name: compose.ConstructInclude, Line: 1}}},
		{"include through a merge key", "x: &x {include: [evil.yaml]}\n<<: *x\nservices: {}\n",
			[]compose.Construct{{Name: compose.ConstructInclude, Line: 1}}},
		{"extends another file", "services:\n  a:\n    image: " + pinnedImage + "\n    extends:\n      file: base.yaml\n      service: b\n",
			[]compose.Construct{{Name: compose.ConstructExtendsFile, Line: 5}}},
		{"reset tag", "services:\n  a:\n    image: !reset " + pinnedImage + "\n",
			[]compose.Construct{{Name: "tag !reset", Line: 3}}},
		{"override tag", "services:\n  a: !override\n    image: " + pinnedImage + "\n",
			[]compose.Construct{{Name: "tag !override", Line: 2}}},
		{"core tags are not constructs", "services:\n  a:\n    image: !!str " + pinnedImage + "\n", nil},
		{"in line order", "services:\n  a:\n    image: !reset y\n    extends: {file: f, service: b}\ninclude: [z]\n",
			[]compose.Construct{{Name: "tag !reset", Line: 3}, {Name: compose.ConstructExtendsFile, Line: 4}, {Name: compose.ConstructInclude, Line: 5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(evAppCompose(t, tc.yaml)))
			require.NoError(t, err)
			assert.Equal(t, tc.constructs, c.Constructs)
		})
	}
}

// TestParseServiceImages: the image a service runs is found as Docker
// Compose finds it: through anchors, merge keys and extends, and a build
// anywhere makes it unpinned.
func TestParseServiceImages(t *testing.T) {
	pinned := func(name string) compose.Service {
		return compose.Service{Name: name, Image: pinnedImage, Pinned: true}
	}
	tests := []struct {
		name     string
		yaml     string
		services []compose.Service
	}{
		{"image from a merge key", "x-base: &base\n  image: " + pinnedImage + "\nservices:\n  a:\n    <<: *base\n", []compose.Service{pinned("a")}},
		{"own image wins over a merged one", "x: &x {image: evil}\nservices:\n  a:\n    <<: *x\n    image: " + pinnedImage + "\n", []compose.Service{pinned("a")}},
		{"first merge source wins", "x: &x {image: " + pinnedImage + "}\ny: &y {image: evil}\nservices:\n  a: {<<: [*x, *y]}\n", []compose.Service{pinned("a")}},
		{"first merge source wins, unpinned", "x: &x {image: evil}\ny: &y {image: " + pinnedImage + "}\nservices:\n  a: {<<: [*x, *y]}\n",
			[]compose.Service{{Name: "a", Image: "evil"}}},
		{"merged build", "x: &x {build: .}\nservices:\n  a:\n    <<: *x\n    image: " + pinnedImage + "\n",
			[]compose.Service{{Name: "a", Image: pinnedImage, Build: true}}},
		{"nested merge", "x: &x {image: evil}\ny: &y {<<: *x}\nservices:\n  a: {<<: *y}\n", []compose.Service{{Name: "a", Image: "evil"}}},
		{"null hides a merged image", "x: &x {image: " + pinnedImage + "}\nservices:\n  a: {<<: *x, image: null}\n", []compose.Service{{Name: "a"}}},
		{"services from a merge key", "x: &x {b: {image: evil}}\nservices:\n  <<: *x\n  a: {image: " + pinnedImage + "}\n",
			[]compose.Service{pinned("a"), {Name: "b", Image: "evil"}}},
		{"service defined twice, own wins", "x: &x {a: {image: evil}}\nservices:\n  <<: *x\n  a: {image: " + pinnedImage + "}\n", []compose.Service{pinned("a")}},
		{"services is an alias", "x: &s {a: {image: " + pinnedImage + "}}\nservices: *s\n", []compose.Service{pinned("a")}},
		{"image is an alias", "x: &i " + pinnedImage + "\nservices:\n  a: {image: *i}\n", []compose.Service{pinned("a")}},
		{"extends inherits the image", "services:\n  base: {image: " + pinnedImage + "}\n  a: {extends: base}\n", []compose.Service{pinned("a"), pinned("base")}},
		{"extends mapping form", "services:\n  base: {image: " + pinnedImage + "}\n  a: {extends: {service: base}}\n", []compose.Service{pinned("a"), pinned("base")}},
		{"own image wins over extends", "services:\n  base: {image: evil}\n  a: {extends: base, image: " + pinnedImage + "}\n",
			[]compose.Service{pinned("a"), {Name: "base", Image: "evil"}}},
		{"extends inherits a build", "services:\n  base: {build: ., image: evil}\n  a: {extends: base, image: " + pinnedImage + "}\n",
			[]compose.Service{{Name: "a", Image: pinnedImage, Build: true}, {Name: "base", Image: "evil", Build: true}}},
		{"extends chain", "services:\n  c: {extends: b}\n  b: {extends: a}\n  a: {image: " + pinnedImage + "}\n", []compose.Service{pinned("a"), pinned("b"), pinned("c")}},
		{"build with a pinned image", "services:\n  a:\n    image: " + pinnedImage + "\n    build: .\n", []compose.Service{{Name: "a", Image: pinnedImage, Build: true}}},
		{"null build", "services:\n  a:\n    image: " + pinnedImage + "\n    build: null\n", []compose.Service{pinned("a")}},
		{"quoted keys", "\"services\":\n  'a':\n    \"image\": " + pinnedImage + "\n", []compose.Service{pinned("a")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(evAppCompose(t, tc.yaml)))
			require.NoError(t, err)
			assert.Equal(t, tc.services, c.Services)
		})
	}
}

// TestParseDockerComposeRejects: YAML Docker Compose refuses, and shapes
// that would make reading it costly, are malformed.
func TestParseDockerComposeRejects(t *testing.T) {
	deep := "x: " + strings.Repeat("[", compose.MaxDepth+1) + strings.Repeat("]", compose.MaxDepth+1) + "\n"
	var chain strings.Builder
	chain.WriteString("services:\n  s0: {image: x}\n")
	for i := 1; i <= compose.MaxDepth+1; i++ {
		chain.WriteString("  s" + strconv.Itoa(i) + ": {extends: s" + strconv.Itoa(i-1) + "}\n")
	}
	var merges strings.Builder
	merges.WriteString("m0: &m0 {image: x}\n")
	for i := 1; i <= compose.MaxDepth+1; i++ {
		merges.WriteString("m" + strconv.Itoa(i) + ": &m" + strconv.Itoa(i) + " {<<: *m" + strconv.Itoa(i-1) + "}\n")
	}
	merges.WriteString("services:\n  a: {<<: *m" + strconv.Itoa(compose.MaxDepth+1) + "}\n")
	tests := []struct {
		name, yaml, found string
	}{
		{"duplicate key deep down", "services:\n  a:\n    environment:\n      A: 1\n      A: 2\n", `"A" again (first at line 4)`},
		{"duplicate key in a big mapping", "x:\n" + manyYAMLKeys(100) + "  k7: 1\n", `"k7" again`},
		{"duplicate top-level key", "services: {}\nservices: {}\n", `"services" again`},
		{"duplicate merge key", "x: &x {}\nservices:\n  a: {<<: *x, <<: *x}\n", `"<<" again`},
		{"complex key", "? [a]\n: b\n", "expected a scalar mapping key, found a list"},
		{"nesting too deep", deep, "levels of nesting"},
		{"extends chain too long", chain.String(), "a chain of at most"},
		{"merge chain too long", merges.String(), "merge keys nested at most"},
		{"extends a missing service", "services:\n  a: {extends: b}\n", `expected a service of this file, found "b"`},
		{"extends cycle", "services:\n  a: {extends: b}\n  b: {extends: a}\n", "no cycle of extends"},
		{"extends without service", "services:\n  a: {extends: {}}\n", "expected a service name"},
		{"merge of a scalar", "services:\n  a: {<<: x}\n", "to merge"},
		{"merge of an alias of a list", "l: &l [{image: x}]\nservices:\n  a: {<<: *l}\n", "to merge"},
		{"merge of its own mapping", "services:\n  a: &a {<<: *a}\n", "no merge key that merges its own mapping"},
		{"service a scalar", "services:\n  a: x\n", "services.a: expected a mapping"},
		{"top level a list", "- a\n", "expected a mapping"},
		{"unknown anchor", "services: *nope\n", "unknown anchor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compose.Parse([]byte(evAppCompose(t, tc.yaml)))
			assert.Nil(t, c)
			require.ErrorIs(t, err, compose.ErrMalformed)
			assert.Contains(t, err.Error(), tc.found)
		})
	}
}

// manyYAMLKeys returns n block mapping entries "  kI: 1".
func manyYAMLKeys(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("  k" + strconv.Itoa(i) + ": 1\n")
	}
	return b.String()
}
