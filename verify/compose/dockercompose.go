package compose

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/internal/yamltree"
)

// MaxDepth bounds the nesting of the docker-compose YAML, and the length of
// the chains of merge keys and of extends that Parse follows. Real compose
// files nest about eight levels.
const MaxDepth = 64

// Construct is a docker-compose construct that brings in content the
// compose hash does not cover, so that the services' images are not all
// the code that runs.
//
// Docker Compose reads these from files or sources beside the compose
// file, which in a dstack CVM only a script (or the host, through the
// environment) can provide: a top-level include (ConstructInclude), an
// extends naming another file (ConstructExtendsFile), and a custom tag
// such as !reset or !override, which changes what Compose reads in ways
// Parse does not follow (ConstructTag). A service's build section is
// recorded on the service (Service.Build). env_file, configs and secrets
// with file: and ${VAR} interpolation are not constructs here: they change
// the environment and files the images see, not which images run, and an
// interpolated image reference pins nothing unless it names a digest.
type Construct struct {
	// Name is ConstructInclude, ConstructExtendsFile, or "tag " and the tag.
	Name string
	// Line is its line in the docker-compose file.
	Line int
}

// Construct names.
const (
	ConstructInclude     = "include"
	ConstructExtendsFile = "extends.file"
	ConstructTag         = "tag"
)

// pinnedImage matches an image reference that names a content digest.
var pinnedImage = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)

// parseDockerCompose reads the services of a docker-compose YAML document
// and the constructs that bring in outside content.
func parseDockerCompose(file string) (services []Service, constructs []Construct, err error) {
	// The YAML library reports its errors by panicking and recovering; a
	// panic that escapes it on some input is a malformed compose, not a
	// crash of the verifier.
	defer func() {
		if r := recover(); r != nil {
			services, constructs, err = nil, nil, malformedAt("docker_compose_file", "docker-compose YAML", fmt.Sprintf("a YAML parser failure: %v", r))
		}
	}()
	root, err := decodeOneDocument(file)
	if err != nil {
		return nil, nil, err
	}
	if root == nil {
		return []Service{}, nil, nil
	}
	err = yamltree.Walk(root, MaxDepth, func(n *yaml.Node) error {
		if n.Style&yaml.TaggedStyle != 0 && !strings.HasPrefix(n.ShortTag(), "!!") {
			constructs = append(constructs, Construct{Name: ConstructTag + " " + shown(n.Tag), Line: n.Line})
		}
		return nil
	})
	if err != nil {
		return nil, nil, yamlError(err)
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, yamlMalformed("", root, "a mapping")
	}
	r := newResolver()
	top, err := r.lookup(root, rootKeys)
	if err != nil {
		return nil, nil, err
	}
	if include := top[0]; include.value != nil {
		constructs = append(constructs, Construct{Name: ConstructInclude, Line: include.key.Line})
	}
	services, more, err := r.services(top[1].value)
	if err != nil {
		return nil, nil, err
	}
	constructs = append(constructs, more...)
	slices.SortStableFunc(constructs, func(a, b Construct) int { return a.Line - b.Line })
	return services, constructs, nil
}

// decodeOneDocument decodes the first YAML document of file into a node
// tree and returns its root, nil for an empty document. Docker Compose
// merges every document of the file, so a second document could add
// services or replace the images of the first: only empty documents (a
// trailing "---") may follow.
func decodeOneDocument(file string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(file))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err)
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError(err)
		}
		if nullDocument(&next) != nil {
			return nil, malformedAt("docker_compose_file", "one YAML document", "more")
		}
	}
	return nullDocument(&doc), nil
}

// nullDocument returns the root of the document n, or nil when it holds
// nothing but null.
func nullDocument(n *yaml.Node) *yaml.Node {
	if len(n.Content) == 0 {
		return nil
	}
	if c := n.Content[0]; len(n.Content) > 1 || !isNull(c) {
		return c
	}
	return nil
}

// isNull reports whether n is absent or a null scalar.
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// services reads the services mapping, the value of the services key.
func (r *resolver) services(node *yaml.Node) ([]Service, []Construct, error) {
	node = deref(node)
	if isNull(node) {
		return []Service{}, nil, nil
	}
	if node.Kind != yaml.MappingNode {
		return nil, nil, yamlMalformed("services", node, "a mapping of services")
	}
	entries, index, err := r.entries(node)
	if err != nil {
		return nil, nil, err
	}
	defs := make([]serviceDef, len(entries))
	for i, e := range entries {
		if err := r.readService(&defs[i], e.key.Value, e.value); err != nil {
			return nil, nil, err
		}
	}
	var constructs []Construct
	services := make([]Service, len(entries))
	for i, e := range entries {
		d := &defs[i]
		if d.extendsFile != nil {
			constructs = append(constructs, Construct{Name: ConstructExtendsFile, Line: d.extendsFile.Line})
		}
		if err := d.resolve(defs, index, e.key.Value, 0); err != nil {
			return nil, nil, err
		}
		services[i] = Service{Name: e.key.Value, Image: d.effImage, Build: d.effBuild, Pinned: !d.effBuild && pinnedImage.MatchString(d.effImage)}
	}
	slices.SortFunc(services, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	return services, constructs, nil
}

// serviceDef is what a service says of its image, with merge keys applied
// and before extends is followed.
type serviceDef struct {
	image   *yaml.Node // nil when absent or null
	build   bool
	extends string // the service of this file it extends, or ""
	// extendsFile is the file key of extends, when it names one.
	extendsFile   *yaml.Node
	extendsAtLine int
	// resolve's answer, its progress, and the length of the chain of
	// extends below the service.
	resolved, resolving bool
	effImage            string
	effBuild            bool
	height              int
}

// readService reads the service name, whose value is v, into d.
func (r *resolver) readService(d *serviceDef, name string, v *yaml.Node) error {
	where := "services." + shown(name)
	v = deref(v)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return yamlMalformed(where, v, "a mapping")
	}
	vals, err := r.lookup(v, serviceKeys)
	if err != nil {
		return err
	}
	if image := deref(vals[0].value); !isNull(image) {
		if image.Kind != yaml.ScalarNode {
			return yamlMalformed(where+".image", image, "an image reference")
		}
		d.image = image
	}
	d.build = !isNull(deref(vals[1].value))
	return r.readExtends(where, deref(vals[2].value), d)
}

// readExtends reads a service's extends: a service name, or a mapping with
// service and optionally file.
func (r *resolver) readExtends(where string, ext *yaml.Node, d *serviceDef) error {
	where += ".extends"
	switch {
	case isNull(ext):
		return nil
	case ext.Kind == yaml.ScalarNode:
		d.extends, d.extendsAtLine = ext.Value, ext.Line
		return nil
	case ext.Kind != yaml.MappingNode:
		return yamlMalformed(where, ext, "a service name or a mapping")
	}
	vals, err := r.lookup(ext, extendsKeys)
	if err != nil {
		return err
	}
	if file := vals[1]; !isNull(deref(file.value)) {
		d.extendsFile = file.key
		return nil // the service extended is in another file
	}
	svc := deref(vals[0].value)
	if isNull(svc) || svc.Kind != yaml.ScalarNode {
		return yamlMalformed(where+".service", orNode(svc, ext), "a service name")
	}
	d.extends, d.extendsAtLine = svc.Value, svc.Line
	return nil
}

// resolve sets the image the service runs and whether it is built,
// following extends within the file: the service's own image wins over
// the one it extends, and a build anywhere on the chain builds. A chain
// longer than MaxDepth is refused whichever of its services is resolved
// first.
func (d *serviceDef) resolve(defs []serviceDef, index map[string]int, name string, depth int) error {
	where := "services." + shown(name) + ".extends"
	switch {
	case d.resolved:
		return nil
	case d.resolving:
		return malformedAt(where, "no cycle of extends", "a cycle through "+strconv.Quote(shown(name)))
	case depth > MaxDepth:
		return tooLongExtends(where)
	}
	d.resolving = true
	if d.image != nil {
		d.effImage = d.image.Value
	}
	d.effBuild = d.build
	if d.extends != "" {
		i, ok := index[d.extends]
		if !ok {
			return malformedAt(fmt.Sprintf("%s (line %d)", where, d.extendsAtLine), "a service of this file", strconv.Quote(shown(d.extends)))
		}
		base := &defs[i]
		if err := base.resolve(defs, index, d.extends, depth+1); err != nil {
			return err
		}
		if d.image == nil {
			d.effImage = base.effImage
		}
		d.effBuild = d.effBuild || base.effBuild
		if d.height = base.height + 1; d.height > MaxDepth {
			return tooLongExtends(where)
		}
	}
	d.resolving, d.resolved = false, true
	return nil
}

func tooLongExtends(where string) error {
	return malformedAt(where, fmt.Sprintf("a chain of at most %d extends", MaxDepth), "a longer one")
}

// orNode returns n, or else fallback, for an error's line.
func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

// yamlError wraps an error of the YAML decoder or of yamltree.
func yamlError(err error) error {
	return fmt.Errorf("%w: docker_compose_file: expected docker-compose YAML: %w", ErrMalformed, err)
}

// yamlMalformed reports that the node at where is not what was expected.
func yamlMalformed(where string, n *yaml.Node, expected string) error {
	field := "docker_compose_file"
	if where != "" {
		field += ": " + where
	}
	return malformedAt(field, expected, fmt.Sprintf("a %s at line %d", yamltree.KindName(n.Kind), n.Line))
}
