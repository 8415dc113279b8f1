// Package compose reads a dstack app-compose.json: the document whose
// SHA-256 a dstack CVM records as its compose hash, the docker-compose
// file inside it, and the scripts dstack runs beside that file.
//
// Parse does not check the compose against anything. A verifier hashes the
// exact text it received and compares it with the attested compose hash
// before it relies on what Parse returns.
//
// # Reading as dstack reads
//
// dstack reads app-compose.json twice: with serde (exact, case-sensitive
// keys; a duplicate of a key it knows fails the boot) and with jq from its
// shell scripts (the last of duplicate keys wins). Parse reads keys exactly
// and refuses, as malformed, any duplicate key and any key that differs
// only in case from a key dstack reads, so that no reading of the document
// can see a script or compose file that Parse did not. Parse also refuses
// text that is not UTF-8 and anything after the JSON object, as serde does.
//
// The docker-compose file is read as Docker Compose reads it: one YAML
// document, no key twice in a mapping, merge keys and extends within the
// file followed to find each service's image.
//
// # What runs besides the images
//
// App records what dstack runs beside the docker-compose services (see
// Script and App.Runner) and the docker-compose constructs that bring in
// content the compose hash does not cover (see Construct). Any of them
// means the services' images are not all the code that runs; a policy
// decides what to accept.
//
// # Cost
//
// Parse takes time linear in the size of its input (see BenchmarkParse):
// the JSON is read token by token with a set of the keys seen; the YAML is
// read into a node tree whose mappings are checked for duplicate keys with
// a set each, not decoded into Go maps, whose duplicate-key check is
// quadratic; nesting, and chains of merge keys and of extends, are bounded
// by MaxDepth; and aliases and merge keys are followed only to look up
// include, services and a service's image, build and extends, with the
// answers for large or merging mappings memoized, so that no alias makes a
// mapping be read again.
package compose

import (
	"errors"
	"fmt"
	"unicode/utf8"

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
	// Runner is the runner key: "docker-compose" runs the docker-compose
	// file, "bash" runs the bash_script instead, "nerdctl-compose" runs
	// the file with nerdctl. It is empty when the key is absent, in which
	// case dstack starts nothing but the scripts before its runner check.
	Runner string
	// Services lists the docker-compose services and their images, sorted
	// by name.
	Services []Service
	// Scripts lists the scripts dstack runs as root, in the order it runs
	// them: init_script (one or more), pre_launch_script, and bash_script
	// when the runner is bash.
	Scripts []Script
	// Constructs lists what the docker-compose file brings in from outside
	// the app compose, in the order they appear.
	Constructs []Construct
	// AllowedEnvs is the allowed_envs list: the names of the variables
	// dstack takes from the deployer's encrypted environment.
	AllowedEnvs []string
}

// Service is one docker-compose service.
type Service struct {
	Name string
	// Image is the image the service runs, its own or the one it inherits
	// through extends or a YAML merge key.
	Image string
	// Build is true when the service has a build section, its own or
	// inherited: its image is built in the CVM from sources the compose
	// hash does not cover.
	Build bool
	// Pinned is true when Image names a digest (image@sha256:...) and the
	// service is not built.
	Pinned bool
}

// Parse parses the text of a dstack app-compose.json: a JSON object whose
// docker_compose_file field, when present, holds a docker-compose YAML
// document. It returns the compose with its services sorted by name; a
// compose without docker_compose_file (a script runner, say) has no
// services. Errors wrap ErrMalformed.
func Parse(raw []byte) (*App, error) {
	if err := checkText(raw); err != nil {
		return nil, err
	}
	m, err := readMembers(raw)
	if err != nil {
		return nil, err
	}
	c := &App{Raw: string(raw), Services: []Service{}}
	if c.Runner, err = m.optionalString("runner"); err != nil {
		return nil, err
	}
	if c.AllowedEnvs, err = m.stringList("allowed_envs"); err != nil {
		return nil, err
	}
	if c.Scripts, err = m.scripts(c.Runner); err != nil {
		return nil, err
	}
	file, err := m.optionalString("docker_compose_file")
	if err != nil {
		return nil, err
	}
	if file == "" {
		return c, nil
	}
	if c.Services, c.Constructs, err = parseDockerCompose(file); err != nil {
		return nil, err
	}
	return c, nil
}

// checkText refuses raw, the text of an app-compose.json, when it is
// over MaxSize, not a JSON object or not UTF-8: what Parse and Canonical
// both require before they read it.
func checkText(raw []byte) error {
	if len(raw) > MaxSize {
		return fmt.Errorf("%w: %w", ErrMalformed, limits.TooLarge(MaxSize, fmt.Sprintf("%d bytes", len(raw))))
	}
	if !jsonshape.IsObject(raw) {
		return malformed("a JSON object", jsonshape.Kind(raw))
	}
	if !utf8.Valid(raw) {
		return malformed("UTF-8 text", "invalid UTF-8")
	}
	return nil
}

// malformed returns an error wrapping ErrMalformed that says what was
// expected and what was found.
func malformed(expected, found string) error {
	return fmt.Errorf("%w: expected %s, found %s", ErrMalformed, expected, found)
}

// malformedAt is malformed for a field of the app compose.
func malformedAt(field, expected, found string) error {
	return fmt.Errorf("%w: %s: expected %s, found %s", ErrMalformed, field, expected, found)
}
