package remote

import (
	"slices"

	"github.com/cvmgate/cvmgate/verify"
)

// Agreement is how a remote verdict compares with local verification.
type Agreement string

// Agreements.
const (
	// Agree: both found the quote genuine, or both refused it.
	Agree Agreement = "agrees"
	// Disagree: one found the quote genuine and the other refused it.
	Disagree Agreement = "disagrees"
	// NotCompared: local verification did not reach a verdict on the
	// quote itself (an earlier check, such as the nonce, failed first;
	// collateral was unavailable), or there is no remote verdict.
	NotCompared Agreement = "not_compared"
)

// quoteChecks are the local checks a remote verifier's verdict is
// compared with: those of the quote itself, without the caller's policy.
var quoteChecks = slices.DeleteFunc(verify.QuoteCheckNames(), func(n verify.CheckName) bool { return n == verify.CheckPolicy })

// Compare compares the remote verdict v with the local verification of
// the same quote, whose report is local (on failure, the report the
// *verify.Error carries; nil when there is none). Only the local checks
// of the quote itself count (signatures, PCK chain, collateral,
// revocation, QE identity, TDX module, TCB levels): the remote verifier
// checks nothing else, and judges no TCB status by the caller's policy.
//
// On Disagree it also returns a *verify.Error of kind
// verify.KindRemoteDisagreement that says what each side found; its
// Report is local.
func Compare(local *verify.Report, v *Verdict) (Agreement, error) {
	if local == nil || v == nil {
		return NotCompared, nil
	}
	genuine, failed, decided := localVerdict(local)
	if !decided {
		return NotCompared, nil
	}
	if genuine == v.Verified {
		return Agree, nil
	}
	e := &verify.Error{Kind: verify.KindRemoteDisagreement, Check: "remote verifier", Report: local}
	if genuine {
		e.Expected = "verified, as local verification found the quote genuine"
		e.Found = "refused"
		if v.Detail != "" {
			e.Found += " (" + v.Detail + ")"
		}
	} else {
		e.Expected = "refused, as local verification failed " + string(failed)
		e.Found = "verified"
	}
	return Disagree, e
}

// localVerdict says what local verification found of the quote itself:
// genuine when every quote check passed; not genuine, with the check that
// failed, when one did; undecided otherwise.
func localVerdict(r *verify.Report) (genuine bool, failed verify.CheckName, decided bool) {
	passed := 0
	for _, n := range quoteChecks {
		c, ok := r.Check(n)
		switch {
		case !ok:
		case c.Outcome == verify.Failed:
			return false, n, true
		case c.Outcome == verify.Passed:
			passed++
		}
	}
	return passed == len(quoteChecks), "", passed == len(quoteChecks)
}
