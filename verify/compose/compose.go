// Package compose reads a dstack app-compose.json: the document whose
// SHA-256 a dstack CVM records as its compose hash, and the docker-compose
// file inside it.
//
// Parse does not check the compose against anything. A verifier hashes the
// exact text it received and compares it with the attested compose hash
// before it relies on what Parse returns.
package compose

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/internal/jsonshape"
	"github.com/cvmgate/cvmgate/internal/limits"
)

// MaxSize bounds the app-compose.json Parse accepts.
const MaxSize = 1 << 20

// ErrMalformed marks an app-compose.json, or the docker-compose file inside
// it, that cannot be parsed.
var ErrMalformed = errors.New("compose: malformed app compose")

// App is a parsed app-compose.json.
type App struct {
	// Raw is the exact app-compose.json text that was parsed.
	Raw string
	// Services lists the docker-compose services and their images, sorted
	// by name.
	Services []Service
}

// Service is one docker-compose service.
type Service struct {
	Name  string
	Image string
	// Pinned is true when Image names a digest (image@sha256:...).
	Pinned bool
}

// pinnedImage matches an image reference that names a content digest.
var pinnedImage = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)

// Parse parses the text of a dstack app-compose.json: a JSON object whose
// docker_compose_file field, when present, holds a docker-compose YAML
// document. It returns the compose with its services sorted by name; a
// compose without docker_compose_file (a script runner, say) has no
// services. Errors wrap ErrMalformed.
func Parse(raw []byte) (*App, error) {
	if len(raw) > MaxSize {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, limits.TooLarge(MaxSize, fmt.Sprintf("%d bytes", len(raw))))
	}
	if !jsonshape.IsObject(raw) {
		return nil, fmt.Errorf("%w: expected a JSON object, found %s", ErrMalformed, jsonshape.Kind(raw))
	}
	// A map, not a struct: encoding/json matches struct fields without
	// regard to case, while dstack (serde) reads only the exact key, so a
	// "Docker_Compose_File" must not stand in for the file dstack runs.
	var app map[string]json.RawMessage
	if err := json.Unmarshal(raw, &app); err != nil {
		return nil, fmt.Errorf("%w: expected app-compose JSON: %w", ErrMalformed, err)
	}
	c := &App{Raw: string(raw), Services: []Service{}}
	dcf := app["docker_compose_file"]
	if jsonshape.IsNull(dcf) {
		return c, nil
	}
	var file string
	if err := json.Unmarshal(dcf, &file); err != nil {
		return nil, fmt.Errorf("%w: docker_compose_file: expected a string, found %s", ErrMalformed, jsonshape.Kind(dcf))
	}
	services, err := parseDockerCompose(file)
	if err != nil {
		return nil, err
	}
	c.Services = services
	return c, nil
}

// parseDockerCompose reads the services of a docker-compose YAML document.
func parseDockerCompose(file string) ([]Service, error) {
	var doc struct {
		Services map[string]*struct {
			Image string `yaml:"image"`
		} `yaml:"services"`
	}
	dec := yaml.NewDecoder(strings.NewReader(file))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: docker_compose_file: expected docker-compose YAML: %w", ErrMalformed, err)
	}
	// Docker Compose reads every document of the file and merges them, so a
	// second document could add services or replace the images of the
	// first. Only empty documents (a trailing "---") may follow.
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: docker_compose_file: expected docker-compose YAML: %w", ErrMalformed, err)
		}
		if !emptyYAMLDocument(&next) {
			return nil, fmt.Errorf("%w: docker_compose_file: expected one YAML document, found more", ErrMalformed)
		}
	}
	services := make([]Service, 0, len(doc.Services))
	for name, s := range doc.Services {
		svc := Service{Name: name}
		if s != nil {
			svc.Image = s.Image
			svc.Pinned = pinnedImage.MatchString(s.Image)
		}
		services = append(services, svc)
	}
	sort.Slice(services, func(i, j int) bool { return services[i].Name < services[j].Name })
	return services, nil
}

// emptyYAMLDocument reports whether n is a document holding nothing but null.
func emptyYAMLDocument(n *yaml.Node) bool {
	if len(n.Content) == 0 {
		return true
	}
	c := n.Content[0]
	return len(n.Content) == 1 && c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null"
}
