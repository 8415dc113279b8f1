package remote_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/remote"
	"github.com/cvmgate/cvmgate/verify"
)

// report returns a report whose quote checks have the given outcomes,
// in order; the policy check is appended with outcome policy.
func report(policy verify.Outcome, outcomes ...verify.Outcome) *verify.Report {
	r := &verify.Report{}
	for i, n := range verify.QuoteCheckNames() {
		if n == verify.CheckPolicy {
			continue
		}
		o := verify.Skipped
		if i < len(outcomes) {
			o = outcomes[i]
		}
		r.Checks = append(r.Checks, verify.CheckResult{Name: n, Outcome: o})
	}
	r.Checks = append(r.Checks, verify.CheckResult{Name: verify.CheckPolicy, Outcome: policy})
	return r
}

// repeat returns n copies of o.
func repeat(o verify.Outcome, n int) []verify.Outcome {
	out := make([]verify.Outcome, n)
	for i := range out {
		out[i] = o
	}
	return out
}

// TestCompare: the remote verdict is compared with the local checks of
// the quote itself, whatever the caller's policy made of it.
func TestCompare(t *testing.T) {
	quoteChecks := len(verify.QuoteCheckNames()) - 1
	genuine := report(verify.Passed, repeat(verify.Passed, quoteChecks)...)
	refusedByPolicy := report(verify.Failed, repeat(verify.Passed, quoteChecks)...)
	badSignature := report(verify.Skipped, verify.Passed, verify.Passed, verify.Passed, verify.Failed)
	notReached := report(verify.Skipped, verify.Passed, verify.Passed, verify.Passed, verify.Passed)
	yes, no := &remote.Verdict{Verified: true}, &remote.Verdict{Verified: false, Detail: "Quote verification failed"}

	tests := []struct {
		name   string
		local  *verify.Report
		remote *remote.Verdict
		want   remote.Agreement
		found  string
	}{
		{"both verified", genuine, yes, remote.Agree, ""},
		{"the policy's refusal is not the quote's", refusedByPolicy, yes, remote.Agree, ""},
		{"remote refuses a genuine quote", genuine, no, remote.Disagree, "refused (Quote verification failed)"},
		{"remote verifies a bad signature", badSignature, yes, remote.Disagree, "verified"},
		{"both refuse", badSignature, no, remote.Agree, ""},
		{"local stopped before the quote's verdict", notReached, yes, remote.NotCompared, ""},
		{"no local report", nil, yes, remote.NotCompared, ""},
		{"no remote verdict", genuine, nil, remote.NotCompared, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := remote.Compare(tt.local, tt.remote)
			assert.Equal(t, tt.want, got)
			if tt.want != remote.Disagree {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, verify.KindRemoteDisagreement, verify.KindOf(err))
			var e *verify.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.found, e.Found)
			assert.Same(t, tt.local, e.Report)
		})
	}
	_, err := remote.Compare(badSignature, yes)
	assert.ErrorContains(t, err, "expected refused, as local verification failed quote_signature, found verified")
}
