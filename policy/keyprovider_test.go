package policy

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// TestKeyProviderViolationSpellsIDsInFull: a KMS id is a 91-byte SPKI;
// the found id is written in full like the expected one, not cut.
func TestKeyProviderViolationSpellsIDsInFull(t *testing.T) {
	expected := strings.Repeat("ab", 91)
	tests := []struct {
		name, found, want string
	}{
		{"a KMS key, upper case with 0x", "0x" + strings.ToUpper(strings.Repeat("cd", 91)), strings.Repeat("cd", 91)},
		{"not hex", "not hex at all", `"not hex at all"`},
		{"not hex and long", strings.Repeat("z", 200), `"` + strings.Repeat("z", 80) + `"...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := hex.DecodeString(expected)
			require.NoError(t, err)
			p := &Policy{App: App{KeyProviders: List[KeyProvider]{{Name: "kms", ID: id}}}}
			r := &verify.Report{Dstack: &verify.Dstack{RTMRReplayed: [4]bool{true, true, true, true}, Identity: eventlog.Identity{KeyProvider: &eventlog.KeyProvider{Name: "kms", ID: tt.found}}}}
			vs := p.checkApp(r, nil)
			require.Len(t, vs, 1)
			v := vs[0].(*Violation)
			assert.Equal(t, "app.key_providers", v.Rule)
			assert.Equal(t, "{name: \"kms\", id: "+tt.want+"}", v.Found)
			assert.Contains(t, v.Expected, expected)
		})
	}
}
