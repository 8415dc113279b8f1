package conformance_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
)

// loads writes text as a policy file in a new directory and loads it.
func loads(text string) func(t *testing.T) error {
	return func(t *testing.T) error {
		path := filepath.Join(t.TempDir(), "policy.yaml")
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		_, err := policy.Load(path)
		return err
	}
}

// judged verifies the base app's honest evidence under the policy the
// honest CVM satisfies, edited by edit, on a platform the default
// collateral rates status.
func judged(status string, q cvmtest.QuoteOptions, edit func(*policy.Policy)) func(t *testing.T) error {
	return func(t *testing.T) error {
		pol := policyOf(t, cvmtest.App{}, edit)
		if status == "UpToDate" {
			return verifyEvidence(t, cvmEvidence{opts: q}, spkiBinding(), pol)
		}
		// A platform of another status: its own PKI, the same app.
		plat := cvmtestPlatform(t, status)
		p := cvmtest.MustPKI(t, cvmtest.PKIOptions{TCB: &plat.PCK})
		c, err := p.Collateral(cvmtest.CollateralOptions{})
		require.NoError(t, err)
		q.TEETCBSVN = plat.TEETCBSVN
		ev := cvmEvidence{opts: q}.buildOn(t, p)
		_, err = verifierFor(t, p, c).VerifyEvidence(t.Context(), ev, spkiBinding(), pol)
		return err
	}
}

// policyCases are policy files that must not load (a typo, a trick or a
// bomb that could weaken or hang the policy) and honest CVMs a policy
// must refuse.
func policyCases() []hostileCase {
	const app = "app: {any: true}\n"
	hash31 := strings.Repeat("ab", 31)
	var bomb strings.Builder
	bomb.WriteString("version: 1\napp: {any: true}\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&bomb, "x%d: &x%d [*x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return []hostileCase{
		{"policy/misspelt key that would drop a rule", verify.KindInvalidPolicy, "alow_debug", loads("version: 1\n" + app + "tcb: {alow_debug: false}\n")},
		{"policy/duplicate key", verify.KindInvalidPolicy, "", loads("version: 1\n" + app + "tcb: {accept: [UpToDate]}\ntcb: {accept: [OutOfDate]}\n")},
		{"policy/YAML alias bomb", verify.KindInvalidPolicy, "", loads(bomb.String())},
		{"policy/file over 256 KiB", verify.KindInvalidPolicy, "", loads("version: 1\n" + app + "# " + strings.Repeat("x", policy.MaxSize) + "\n")},
		{"policy/version 2", verify.KindInvalidPolicy, "version", loads("version: 2\n" + app)},
		{"policy/compose hash of 31 bytes", verify.KindInvalidPolicy, "compose_hashes", loads("version: 1\napp: {compose_hashes: [" + hash31 + "]}\n")},
		{"policy/unknown TCB status accepted", verify.KindInvalidPolicy, "", loads("version: 1\n" + app + "tcb: {accept: [Fine]}\n")},
		{"policy/no rule for the app", verify.KindInvalidPolicy, "app", loads("version: 1\ntcb: {accept: [UpToDate]}\n")},
		{"policy/app rule beside any: true", verify.KindInvalidPolicy, "", loads("version: 1\napp: {any: true, app_ids: [" + strings.Repeat("ab", 20) + "]}\n")},
		{"policy/two YAML documents", verify.KindInvalidPolicy, "", loads("version: 1\n" + app + "---\nversion: 1\napp: {any: true}\ntcb: {allow_debug: true}\n")},
		{"policy/null value", verify.KindInvalidPolicy, "", loads("version: 1\n" + app + "tcb: {accept: ~}\n")},
		{"policy/explicit YAML tag", verify.KindInvalidPolicy, "", loads("version: 1\n" + app + "tcb: {allow_debug: !!bool false}\n")},
		{"policy/JSON that is not valid JSON", verify.KindInvalidPolicy, "", loads(`{"version": 1, "app": {"any": true},}`)},
		{"policy/negative max_age", verify.KindInvalidPolicy, "non-negative duration", loads("version: 1\n" + app + "attestation: {max_age: -1h}\n")},
		{"policy/allowed_scripts without require_pinned_images", verify.KindInvalidPolicy, "", loads("version: 1\napp:\n  any: true\n  allowed_scripts: [{kind: pre_launch_script, sha256: " + strings.Repeat("ab", 32) + "}]\n")},
		{"policy/compose_files naming an endless device", verify.KindInvalidPolicy, "compose_files", func(t *testing.T) error {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero here")
			}
			return loads("version: 1\napp: {compose_files: [/dev/zero]}\n")(t)
		}},
		{"policy/app id not allowed", verify.KindPolicy, "app.app_ids", judged("UpToDate", cvmtest.QuoteOptions{}, func(p *policy.Policy) {
			p.App.AppIDs = policy.List[policy.Hex]{policy.Hex(bytes.Repeat([]byte{1}, 20))}
		})},
		{"policy/OS image not allowed", verify.KindPolicy, "os_image_hashes", judged("UpToDate", cvmtest.QuoteOptions{}, func(p *policy.Policy) {
			p.OSImageHashes = policy.List[policy.Hex]{policy.Hex(bytes.Repeat([]byte{1}, 32))}
		})},
		{"policy/key provider not allowed", verify.KindPolicy, "key_providers", judged("UpToDate", cvmtest.QuoteOptions{}, func(p *policy.Policy) {
			p.App.KeyProviders = policy.List[policy.KeyProvider]{{Name: "kms", ID: []byte{1, 2, 3}}}
		})},
		{"policy/boot measurements not listed", verify.KindPolicy, "platform", judged("UpToDate", cvmtest.QuoteOptions{}, func(p *policy.Policy) {
			for i := range p.Platform {
				p.Platform[i].MRTD = policy.Hex(bytes.Repeat([]byte{1}, 48))
			}
		})},
		{"policy/TCB status not accepted", verify.KindPolicy, "tcb.accept", judged("OutOfDate", cvmtest.QuoteOptions{}, nil)},
		{"policy/debug TD not allowed", verify.KindPolicy, "", func(t *testing.T) error {
			attrs := cvmtest.DefaultTDAttributes
			attrs[0] |= 1
			return judged("UpToDate", cvmtest.QuoteOptions{TDAttributes: attrs}, func(p *policy.Policy) { p.TD = policy.TD{} })(t)
		}},
		{"policy/channel not bound where spki is required", verify.KindPolicy, "channel.binding", func(t *testing.T) error {
			pol := policyOf(t, cvmtest.App{}, nil)
			seedStyle := [64]byte{}
			copy(seedStyle[:], caseNonce)
			return verifyEvidence(t, cvmEvidence{opts: cvmtest.QuoteOptions{ReportData: seedStyle}},
				&verify.Binding{Mode: verify.BindingNone, Nonce: caseNonce}, pol)
		}},
	}
}
