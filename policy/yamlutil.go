package policy

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/internal/clip"
	"github.com/cvmgate/cvmgate/internal/yamltree"
)

// valueError is a malformed scalar: what was expected and what was found.
type valueError struct {
	expected, found string
	err             error
}

func (e *valueError) Error() string {
	msg := "expected " + e.expected + ", found " + e.found
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg
}

func (e *valueError) Unwrap() error { return e.err }

// nodeError returns a *yaml.TypeError for n. The YAML decoder collects
// these, so every bad value in a file is reported, each with its line.
func nodeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
}

// kindName names a YAML node kind for error messages.
var kindName = yamltree.KindName

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	return clip.Quote(s, 80)
}
