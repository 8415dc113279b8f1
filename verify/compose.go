package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxComposeSize bounds the app-compose.json ParseCompose accepts.
const MaxComposeSize = 1 << 20

// ErrMalformedCompose marks an app-compose.json, or the docker-compose file
// inside it, that cannot be parsed.
var ErrMalformedCompose = errors.New("verify: malformed app compose")

// pinnedImage matches an image reference that names a content digest.
var pinnedImage = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)

// ParseCompose parses the text of a dstack app-compose.json: a JSON object
// whose docker_compose_file field, when present, holds a docker-compose
// YAML document. It returns the compose with its services sorted by name;
// a compose without docker_compose_file (a script runner, say) has no
// services. Errors wrap ErrMalformedCompose.
//
// ParseCompose does not check the compose against anything: VerifyEvidence
// calls it only once the text's SHA-256 equals the attested compose hash.
func ParseCompose(raw []byte) (*Compose, error) {
	if len(raw) > MaxComposeSize {
		return nil, fmt.Errorf("%w: expected at most %d bytes, found %d", ErrMalformedCompose, MaxComposeSize, len(raw))
	}
	if jsonKind(raw) != "an object" {
		return nil, fmt.Errorf("%w: expected a JSON object, found %s", ErrMalformedCompose, jsonKind(raw))
	}
	// A map, not a struct: encoding/json matches struct fields without
	// regard to case, while dstack (serde) reads only the exact key, so a
	// "Docker_Compose_File" must not stand in for the file dstack runs.
	var app map[string]json.RawMessage
	if err := json.Unmarshal(raw, &app); err != nil {
		return nil, fmt.Errorf("%w: expected app-compose JSON: %w", ErrMalformedCompose, err)
	}
	c := &Compose{Raw: string(raw), Services: []ComposeService{}}
	dcf := app["docker_compose_file"]
	if isNull(dcf) {
		return c, nil
	}
	var file string
	if err := json.Unmarshal(dcf, &file); err != nil {
		return nil, fmt.Errorf("%w: docker_compose_file: expected a string, found %s", ErrMalformedCompose, jsonKind(dcf))
	}
	services, err := parseDockerCompose(file)
	if err != nil {
		return nil, err
	}
	c.Services = services
	return c, nil
}

// parseDockerCompose reads the services of a docker-compose YAML document.
func parseDockerCompose(file string) ([]ComposeService, error) {
	var doc struct {
		Services map[string]*struct {
			Image string `yaml:"image"`
		} `yaml:"services"`
	}
	dec := yaml.NewDecoder(strings.NewReader(file))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: docker_compose_file: expected docker-compose YAML: %w", ErrMalformedCompose, err)
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
			return nil, fmt.Errorf("%w: docker_compose_file: expected docker-compose YAML: %w", ErrMalformedCompose, err)
		}
		if !emptyYAMLDocument(&next) {
			return nil, fmt.Errorf("%w: docker_compose_file: expected one YAML document, found more", ErrMalformedCompose)
		}
	}
	services := make([]ComposeService, 0, len(doc.Services))
	for name, s := range doc.Services {
		svc := ComposeService{Name: name}
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
