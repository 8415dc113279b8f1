package policy

import (
	"testing"

	"github.com/cvmgate/cvmgate/verify"
)

// BenchmarkCheck is the per-attestation cost of judging a report that
// passes a policy checking every field.
func BenchmarkCheck(b *testing.B) {
	p, r := mustParse(b, testPolicyYAML), testReport()
	if err := p.Check(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckViolations is the cost of a report that breaks every rule.
func BenchmarkCheckViolations(b *testing.B) {
	p, r := mustParse(b, testPolicyYAML), testReport()
	r.TCBStatus, r.Debug = verify.StatusRevoked, true
	r.Body.MRTD[0] = 0
	r.Dstack.Identity.AppID = nil
	r.Dstack.Binding = verify.BindingNone
	b.ReportAllocs()
	for b.Loop() {
		if p.Check(r) == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkParse is the cost of loading a policy that sets every field.
func BenchmarkParse(b *testing.B) {
	data := []byte(testPolicyYAML)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, ""); err != nil {
			b.Fatal(err)
		}
	}
}
