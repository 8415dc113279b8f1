package policy

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxDays bounds the "<N>d" form (about 100 years), far below overflow.
const maxDays = 36500

// Duration is a non-negative time.Duration written either as a Go duration
// string ("720h", "1h30m") or as a whole number of days ("30d"), since TCB
// recovery windows are announced in days. A bare number is an error: it
// has no unit.
type Duration time.Duration

// String formats d as it is marshaled: whole days as "<N>d", anything else
// in Go's duration syntax.
func (d Duration) String() string {
	const day = 24 * time.Hour
	if td := time.Duration(d); td > 0 && td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	s := time.Duration(d).String() // "1h0m0s", trimmed to "1h"
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler so that a bad value is
// reported with its line number.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a duration, found a %s", kindName(n.Kind))
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return nodeError(n, "%v", err)
	}
	*d = v
	return nil
}

var errNegativeDuration = errors.New("duration is negative")

// parseDuration parses a Go duration or "<N>d" and refuses negatives.
func parseDuration(s string) (Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" && strings.Trim(days, "0123456789") == "" {
		n, err := strconv.ParseUint(days, 10, 32)
		if err != nil || n > maxDays {
			return 0, &valueError{expected: "at most " + strconv.Itoa(maxDays) + " days", found: quoteShort(s)}
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, &valueError{expected: `a duration such as "720h" or "30d"`, found: quoteShort(s), err: err}
	}
	if v < 0 {
		return 0, &valueError{expected: "a non-negative duration", found: quoteShort(s), err: errNegativeDuration}
	}
	return Duration(v), nil
}
