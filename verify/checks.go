package verify

// CheckName names one check of a verification. The names are stable and
// appear in the CLI's JSON output.
type CheckName string

// The checks of Verify, in the order they run.
const (
	// CheckQuoteFormat: the quote parses as a TDX quote v4 or v5 by Intel's
	// QE with an ECDSA P-256 attestation key.
	CheckQuoteFormat CheckName = "quote_format"
	// CheckPCKChain: the PCK certificate chain ends in a trusted root, its
	// certificates are valid and each is signed by the next.
	CheckPCKChain CheckName = "pck_chain"
	// CheckQEReport: the PCK key signed the QE report, and the QE report
	// vouches for the attestation key.
	CheckQEReport CheckName = "qe_report"
	// CheckQuoteSignature: the attestation key signed the quote.
	CheckQuoteSignature CheckName = "quote_signature"
	// CheckCollateral: TCB info, QE identity and CRLs were obtained, are
	// signed by Intel, current, and for this platform.
	CheckCollateral CheckName = "collateral"
	// CheckRevocation: no certificate of the PCK chain is revoked.
	CheckRevocation CheckName = "revocation"
	// CheckQEIdentity: the QE is Intel's, per the QE identity.
	CheckQEIdentity CheckName = "qe_identity"
	// CheckTDXModule: the TDX module is Intel's (MRSIGNERSEAM and
	// SEAMATTRIBUTES).
	CheckTDXModule CheckName = "tdx_module"
	// CheckTCBLevels: the platform, TDX module and QE match TCB levels,
	// which give the TCB status.
	CheckTCBLevels CheckName = "tcb_levels"
	// CheckPolicy: the caller's policy accepts the verified facts: TCB
	// status, TD attributes, and for dstack evidence the app's identity.
	CheckPolicy CheckName = "policy"
)

// The checks VerifyEvidence adds, run after CheckQuoteSignature and before
// any collateral is fetched, so that a replayed or relayed quote costs no
// request.
const (
	// CheckChannelBinding: REPORTDATA carries the caller's fresh nonce and the TLS
	// key of the connection the evidence came over.
	CheckChannelBinding CheckName = "channel_binding"
	// CheckEventLog: the event log replays to RTMR0-3, with every dstack
	// runtime digest recomputed from its payload.
	CheckEventLog CheckName = "event_log"
	// CheckIdentity: the dstack identity (app id, compose hash, instance,
	// OS image, key provider) is recorded once before system-ready.
	CheckIdentity CheckName = "dstack_identity"
	// CheckMRConfigID: MR_CONFIG_ID, when in dstack's v1 form, binds the
	// same compose hash.
	CheckMRConfigID CheckName = "mr_config_id"
	// CheckCompose: the supplied app compose hashes to the attested compose
	// hash and parses.
	CheckCompose CheckName = "app_compose"
)

// quoteChecks and evidenceChecks are the plans of Verify and VerifyEvidence.
var (
	quoteChecks = []CheckName{
		CheckQuoteFormat, CheckPCKChain, CheckQEReport, CheckQuoteSignature,
		CheckCollateral, CheckRevocation, CheckQEIdentity, CheckTDXModule, CheckTCBLevels,
		CheckPolicy,
	}
	evidenceChecks = []CheckName{
		CheckQuoteFormat, CheckPCKChain, CheckQEReport, CheckQuoteSignature,
		CheckChannelBinding, CheckEventLog, CheckIdentity, CheckMRConfigID, CheckCompose,
		CheckCollateral, CheckRevocation, CheckQEIdentity, CheckTDXModule, CheckTCBLevels,
		CheckPolicy,
	}
)

// Outcome is what became of a check.
type Outcome string

// Outcomes of a check. A check that did not run is Skipped, never Passed.
const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
)

// CheckResult is one check of a verification and what became of it.
type CheckResult struct {
	Name    CheckName `json:"name"`
	Outcome Outcome   `json:"outcome"`
	// Detail says why a check was skipped or failed, or qualifies a pass
	// (such as "binding none: the channel is not bound").
	Detail string `json:"detail,omitempty"`
}

// Check returns the result of check n, and whether it is in the report.
func (r *Report) Check(n CheckName) (CheckResult, bool) {
	for _, c := range r.Checks {
		if c.Name == n {
			return c, true
		}
	}
	return CheckResult{}, false
}

// notReached is the Detail of a check that did not run because an earlier
// one failed.
const notReached = "not reached: an earlier check failed"

// CheckNames returns the name of every check, in the order VerifyEvidence
// runs them (Verify runs the same without the evidence checks).
func CheckNames() []CheckName { return append([]CheckName(nil), evidenceChecks...) }

// QuoteCheckNames returns the name of every check Verify runs, in order.
func QuoteCheckNames() []CheckName { return append([]CheckName(nil), quoteChecks...) }
