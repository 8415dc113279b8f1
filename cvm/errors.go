package cvm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cvmgate/cvmgate/internal/clip"
)

// ErrAgent matches, through errors.Is, every failed call to the guest
// agent; errors.As gives the *AgentError.
var ErrAgent = errors.New("cvm: guest agent call failed")

// AgentError is a failed call to the dstack guest agent. It wraps the cause:
// a network or context error (errors.Is(err, context.DeadlineExceeded)
// works), a *wire.DocumentError for an answer that is not a valid document,
// or limits.ErrTooLarge (verify.ErrTooLarge) for one over the size bound.
type AgentError struct {
	// Method is the agent method called, such as "GetQuote".
	Method string
	// StatusCode is the HTTP status of the answer; zero when there was none.
	StatusCode int
	// Message says what was wrong: the agent's own error text for a
	// refusal, or what was expected and found.
	Message string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *AgentError) Error() string {
	var b strings.Builder
	b.WriteString("cvm: guest agent ")
	b.WriteString(e.Method)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *AgentError) Unwrap() error { return e.Err }

// Is matches ErrAgent.
func (e *AgentError) Is(target error) bool { return target == ErrAgent }

// maxMessage bounds the agent error text an AgentError repeats.
const maxMessage = 256

// clipMessage shortens s to maxMessage bytes for an error message.
func clipMessage(s string) string { return clip.ValidString(s, maxMessage) }
