package clip_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/internal/clip"
)

func TestClip(t *testing.T) {
	tests := []struct {
		name, s           string
		n                 int
		str, quote, valid string
	}{
		{"short", "abc", 3, "abc", `"abc"`, "abc"},
		{"long", "abcdef", 3, "abc...", `"abc"...`, "abc..."},
		{"empty", "", 0, "", `""`, ""},
		{"rune cut in two", "aé", 2, "a\xc3...", `"a\xc3"...`, "a..."},
		{"invalid byte kept when short", "a\xff", 2, "a\xff", `"a\xff"`, "a\xff"},
		{"quotes escaped", `a"b`, 3, `a"b`, `"a\"b"`, `a"b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.str, clip.String(tt.s, tt.n))
			assert.Equal(t, tt.quote, clip.Quote(tt.s, tt.n))
			assert.Equal(t, tt.valid, clip.ValidString(tt.s, tt.n))
		})
	}
}
