package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// schemaVersion is the version of the JSON the verify commands print,
// documented in docs/json.md. It changes only when a field changes
// meaning or goes away; new fields may appear within a version.
const schemaVersion = 1

// Verdicts of a result, one for each exit code of a verification.
const (
	verdictAccepted     = "accepted"     // exit 0
	verdictRefused      = "refused"      // exit 1
	verdictInconclusive = "inconclusive" // exit 3
)

// result is the JSON object "quote verify" prints, and the part of
// "evidence verify"'s that concerns the quote.
type result struct {
	SchemaVersion int    `json:"schema_version"`
	Verdict       string `json:"verdict"`
	Verified      bool   `json:"verified"`
	// VerifiedAt is the time every check used (--at, or now).
	VerifiedAt time.Time `json:"verified_at"`
	// ValidUntil is when an accepted verdict lapses; nil unless accepted.
	ValidUntil           *time.Time `json:"valid_until"`
	CollateralNextUpdate *time.Time `json:"collateral_next_update"`
	TCBStatus            string     `json:"tcb_status"`
	PlatformTCBStatus    string     `json:"platform_tcb_status"`
	TDXModuleTCBStatus   string     `json:"tdx_module_tcb_status"`
	QETCBStatus          string     `json:"qe_tcb_status"`
	AdvisoryIDs          []string   `json:"advisory_ids"`
	QuoteVersion         int        `json:"quote_version"`
	FMSPC                string     `json:"fmspc"`
	MRTD                 string     `json:"mrtd"`
	RTMR0                string     `json:"rtmr0"`
	RTMR1                string     `json:"rtmr1"`
	RTMR2                string     `json:"rtmr2"`
	RTMR3                string     `json:"rtmr3"`
	ReportData           string     `json:"report_data"`
	TDAttributes         string     `json:"td_attributes"`
	XFAM                 string     `json:"xfam"`
	TEETCBSVN            string     `json:"tee_tcb_svn"`
	// Checks lists every check and what became of it.
	Checks []verify.CheckResult `json:"checks"`
	// Error is why the verdict is not accepted; nil when it is.
	Error *resultError `json:"error"`

	// err is the verification error, for the exit code; not printed.
	err error
}

// resultError is the "error" member of the JSON output.
type resultError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// newResult assembles the output from a verification outcome at time at.
// On failure the fields come from the partial report the error carries,
// or from a plain parse of the quote, so a rejected quote is still
// described.
func newResult(raw []byte, report *verify.Report, verr error, at time.Time) *result {
	res := &result{SchemaVersion: schemaVersion, Verdict: verdictAccepted, Verified: true, AdvisoryIDs: []string{}, Checks: []verify.CheckResult{}, VerifiedAt: at.UTC()}
	if verr != nil {
		res.fail(verr)
		var e *verify.Error
		if errors.As(verr, &e) {
			report = e.Report
		}
	}
	var q *quote.Quote
	if report != nil {
		res.fillReport(report, verr == nil)
		q = report.Quote
	}
	if q == nil && raw != nil {
		q, _ = quote.Parse(raw) // best effort: describe what was presented
	}
	if q != nil {
		res.fillQuote(q)
	}
	return res
}

// reportOf returns the report of a verification: report, the verified
// one, or when it is nil what the failure verr established, or nil.
func reportOf(report *verify.Report, verr error) *verify.Report {
	if report != nil {
		return report
	}
	var e *verify.Error
	if errors.As(verr, &e) {
		return e.Report
	}
	return nil
}

// fail makes the result a refusal for err, or no verdict when err
// reached none (verify.Kind.Inconclusive), with err as its error member.
func (r *result) fail(err error) {
	r.err = err
	r.Verdict, r.Verified, r.ValidUntil = verdictRefused, false, nil
	if verify.KindOf(err).Inconclusive() {
		r.Verdict = verdictInconclusive
	}
	r.Error = &resultError{Kind: string(verify.KindOf(err)), Message: describe(err), Hint: hint(err)}
}

// fillReport copies what the report established.
func (r *result) fillReport(report *verify.Report, accepted bool) {
	r.Checks = report.Checks
	if !report.VerifiedAt.IsZero() {
		r.VerifiedAt = report.VerifiedAt.UTC()
	}
	if accepted {
		r.ValidUntil = timeOrNil(report.ValidUntil)
	}
	r.CollateralNextUpdate = timeOrNil(report.CollateralNextUpdate)
	r.TCBStatus = string(report.TCBStatus)
	r.PlatformTCBStatus = string(report.PlatformTCBStatus)
	r.TDXModuleTCBStatus = string(report.TDXModuleTCBStatus)
	r.QETCBStatus = string(report.QETCBStatus)
	if report.AdvisoryIDs != nil {
		r.AdvisoryIDs = report.AdvisoryIDs
	}
	r.FMSPC = report.FMSPC
}

// fillQuote copies the quote's measured fields.
func (r *result) fillQuote(q *quote.Quote) {
	b := &q.Body
	r.QuoteVersion = int(q.Header.Version)
	r.MRTD = hex.EncodeToString(b.MRTD[:])
	r.RTMR0 = hex.EncodeToString(b.RTMR[0][:])
	r.RTMR1 = hex.EncodeToString(b.RTMR[1][:])
	r.RTMR2 = hex.EncodeToString(b.RTMR[2][:])
	r.RTMR3 = hex.EncodeToString(b.RTMR[3][:])
	r.ReportData = hex.EncodeToString(b.ReportData[:])
	r.TDAttributes = hex.EncodeToString(b.TDAttributes[:])
	r.XFAM = hex.EncodeToString(b.XFAM[:])
	r.TEETCBSVN = hex.EncodeToString(b.TEETCBSVN[:])
}

// timeOrNil returns &t in UTC, or nil for the zero time.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// unreadResult is the result of evidence that could not even be read
// (a malformed quote file or attestation document): refused with the
// error's kind, every check of plan not reached.
func unreadResult(err error, plan []verify.CheckName, at time.Time) *result {
	res := newResult(nil, nil, err, at)
	res.notReached(plan, "the evidence could not be read")
	return res
}

// notReached adds every check of plan as skipped, not reached for why.
func (r *result) notReached(plan []verify.CheckName, why string) {
	for _, n := range plan {
		r.Checks = append(r.Checks, verify.CheckResult{Name: n, Outcome: verify.Skipped, Detail: "not reached: " + why})
	}
}

// note replaces the detail of check n, when it ran and passed or was
// skipped for want of input, with what the command line explains better.
func (r *result) note(n verify.CheckName, detail string) {
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Name == n && c.Outcome != verify.Failed && !strings.HasPrefix(c.Detail, "not reached") {
			c.Detail = detail
		}
	}
}

// emit prints a result as the output flags ask: JSON, the human report
// (human), or nothing with --quiet. It returns the verification error;
// when the human report already showed it, wrapped in shown.
func emit(e *env, o outputFlags, v any, verr error, human func(io.Writer) error) error {
	switch {
	case o.json:
		if err := writeJSON(e.stdout, v); err != nil {
			return usageError{err}
		}
	case o.quiet:
	default:
		if err := human(e.stdout); err != nil {
			return usageError{err}
		}
		if verr != nil {
			return shown{verr}
		}
	}
	return verr
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// checkTitles says, for the human report, what each check establishes.
var checkTitles = map[verify.CheckName]string{
	verify.CheckQuoteFormat:    "quote format",
	verify.CheckPCKChain:       "PCK certificate chain to the trusted root",
	verify.CheckQEReport:       "QE report signed by the PCK key, binding the attestation key",
	verify.CheckQuoteSignature: "quote signed by the attestation key",
	verify.CheckChannelBinding: "channel binding: fresh nonce and TLS key",
	verify.CheckEventLog:       "event log replays to RTMR0-3, runtime digests recomputed",
	verify.CheckIdentity:       "dstack identity recorded once before system-ready",
	verify.CheckMRConfigID:     "MR_CONFIG_ID binds the compose hash",
	verify.CheckCompose:        "app compose hashes to the attested compose hash",
	verify.CheckCollateral:     "collateral signed, current and for this platform",
	verify.CheckRevocation:     "no certificate of the PCK chain revoked",
	verify.CheckQEIdentity:     "QE identity",
	verify.CheckTDXModule:      "TDX module signer and attributes",
	verify.CheckTCBLevels:      "platform, TDX module and QE TCB levels",
	verify.CheckPolicy:         "accepted by the caller",
}

// writeHuman prints one line a check, then the verdict.
func (r *result) writeHuman(w io.Writer) error {
	if err := r.writeChecks(w); err != nil {
		return err
	}
	return r.writeVerdict(w)
}

// writeChecks prints one line a check of the report: ok, FAIL, or skip
// with the reason. A check that did not run never prints ok.
func (r *result) writeChecks(w io.Writer) error {
	for _, c := range r.Checks {
		mark := "ok  "
		switch c.Outcome {
		case verify.Failed:
			mark = "FAIL"
		case verify.Skipped:
			mark = "skip"
		}
		title := checkTitles[c.Name]
		if title == "" {
			title = string(c.Name)
		}
		note := ""
		if c.Detail != "" && c.Outcome != verify.Failed {
			note = " (" + c.Detail + ")"
		}
		if _, err := fmt.Fprintf(w, "%s %s%s\n", mark, title, note); err != nil {
			return err
		}
	}
	return nil
}

// writeVerdict prints the TCB summary and the verdict.
func (r *result) writeVerdict(w io.Writer) error {
	switch r.TCBStatus {
	case "":
	case string(verify.StatusUnknown):
		fmt.Fprintln(w, "tcb: unknown (no collateral: the TCB level was not evaluated)")
	default:
		fmt.Fprintf(w, "tcb: %s (platform %s, module %s, qe %s)", r.TCBStatus, r.PlatformTCBStatus, orNone(r.TDXModuleTCBStatus), r.QETCBStatus)
		if len(r.AdvisoryIDs) > 0 {
			fmt.Fprintf(w, " advisories %s", strings.Join(r.AdvisoryIDs, ", "))
		}
		fmt.Fprintln(w)
	}
	if r.MRTD != "" {
		fmt.Fprintf(w, "quote v%d fmspc %s mrtd %s\n", r.QuoteVersion, orNone(r.FMSPC), r.MRTD)
	}
	if r.ValidUntil != nil {
		fmt.Fprintf(w, "valid until %s\n", r.ValidUntil.Format(time.RFC3339))
	}
	if r.Error == nil {
		_, err := fmt.Fprintln(w, "VERIFIED")
		return err
	}
	return writeRefusal(w, r.Verdict, r.Error)
}

// writeRefusal prints the line of a refusal or of no verdict, and its hint.
func writeRefusal(w io.Writer, verdict string, e *resultError) error {
	word := "REJECTED"
	if verdict == verdictInconclusive {
		word = "NO VERDICT"
	}
	fmt.Fprintf(w, "%s: %s\n", word, e.Message)
	if e.Hint != "" {
		fmt.Fprintf(w, "hint: %s\n", e.Hint)
	}
	return nil
}

// orNone prints "-" for an empty string.
func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
