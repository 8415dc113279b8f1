package policy_test

import (
	"fmt"
	"log"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// Load a policy and judge a report with it. A Verifier takes the policy on
// each call (verify.Verifier.Verify and VerifyEvidence), so one verifier
// serves every policy.
func Example() {
	p, err := policy.Load("../testdata/policy/example.yaml")
	if err != nil {
		log.Fatal(err)
	}

	// The statuses the policy may accept: here OutOfDate too, within the
	// 30-day grace.
	fmt.Println("may accept:", p.AcceptedStatuses())

	// A report as verify returns it; this one is of a debug TD that runs
	// some other app over an unbound channel.
	report := &verify.Report{
		QuoteVersion: quote.Version4,
		TCBStatus:    verify.StatusUpToDate,
		Debug:        true,
		Dstack:       &verify.Dstack{Binding: verify.BindingNone},
	}
	if err := p.Check(report); err != nil {
		for _, v := range policy.Violations(err) {
			fmt.Println("violates", v.Rule)
		}
	}
	// Output:
	// may accept: [UpToDate SWHardeningNeeded OutOfDate]
	// violates tcb.allow_debug
	// violates platform
	// violates os_image_hashes
	// violates app.compose_files
	// violates app.app_ids
	// violates app.key_providers
	// violates app.require_pinned_images
	// violates channel.binding
}

// Write the strictest policy a verified CVM satisfies, to review and edit.
func ExampleFromReport() {
	report := &verify.Report{
		QuoteVersion: quote.Version4,
		TCBStatus:    verify.StatusUpToDate,
		Dstack:       &verify.Dstack{RTMRReplayed: [4]bool{true, true, true, true}, Binding: verify.BindingSPKI},
	}
	p, err := policy.FromReport(report)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Check(report))
	data, err := p.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output:
	// <nil>
	// # cvmgate policy (https://github.com/cvmgate/cvmgate, package policy).
	// # Every list is an allowlist: a value must be listed to pass. An absent list
	// # is not checked; an empty list ([]) accepts nothing. Unknown keys are errors.
	// version: 1
	// tcb:
	//   accept:
	//     - UpToDate
	//   allow_debug: false
	// platform:
	//   - mrtd: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	//     rtmr0: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	//     rtmr1: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	//     rtmr2: "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	// app:
	//   require_pinned_images: false
	//   any: true
	// channel:
	//   binding: spki
	// attestation:
	//   max_age: 1h
}
