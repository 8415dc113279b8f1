package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// result is the JSON object "quote verify" prints.
type result struct {
	Verified           bool     `json:"verified"`
	TCBStatus          string   `json:"tcb_status"`
	PlatformTCBStatus  string   `json:"platform_tcb_status"`
	TDXModuleTCBStatus string   `json:"tdx_module_tcb_status"`
	QETCBStatus        string   `json:"qe_tcb_status"`
	AdvisoryIDs        []string `json:"advisory_ids"`
	QuoteVersion       int      `json:"quote_version"`
	FMSPC              string   `json:"fmspc"`
	MRTD               string   `json:"mrtd"`
	RTMR0              string   `json:"rtmr0"`
	RTMR1              string   `json:"rtmr1"`
	RTMR2              string   `json:"rtmr2"`
	RTMR3              string   `json:"rtmr3"`
	ReportData         string   `json:"report_data"`
	TDAttributes       string   `json:"td_attributes"`
	XFAM               string   `json:"xfam"`
	TEETCBSVN          string   `json:"tee_tcb_svn"`
	// Checks lists every check and what became of it.
	Checks []verify.CheckResult `json:"checks"`
	Error  *resultError         `json:"error,omitempty"`

	// failedKind decides the exit code; not printed as JSON.
	failedKind verify.Kind
}

// resultError is the "error" member of the JSON output.
type resultError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// newResult assembles the output from a verification outcome. On failure
// the fields come from the partial report the error carries, or from a
// plain parse of the quote, so a rejected quote is still described.
func newResult(raw []byte, report *verify.Report, verr error) *result {
	res := &result{AdvisoryIDs: []string{}}
	if verr != nil {
		var e *verify.Error
		if errors.As(verr, &e) {
			res.failedKind = e.Kind
			res.Error = &resultError{Kind: string(e.Kind), Message: verr.Error()}
			report = e.Report
		} else {
			res.Error = &resultError{Kind: "error", Message: verr.Error()}
		}
	} else {
		res.Verified = true
	}
	var q *quote.Quote
	res.Checks = []verify.CheckResult{}
	if report != nil {
		res.Checks = report.Checks
		res.TCBStatus = string(report.TCBStatus)
		res.PlatformTCBStatus = string(report.PlatformTCBStatus)
		res.TDXModuleTCBStatus = string(report.TDXModuleTCBStatus)
		res.QETCBStatus = string(report.QETCBStatus)
		if report.AdvisoryIDs != nil {
			res.AdvisoryIDs = report.AdvisoryIDs
		}
		res.FMSPC = report.FMSPC
		q = report.Quote
	}
	if q == nil {
		q, _ = quote.Parse(raw) // best effort: describe what was presented
	}
	if q != nil {
		b := &q.Body
		res.QuoteVersion = int(q.Header.Version)
		res.MRTD = hex.EncodeToString(b.MRTD[:])
		res.RTMR0 = hex.EncodeToString(b.RTMR[0][:])
		res.RTMR1 = hex.EncodeToString(b.RTMR[1][:])
		res.RTMR2 = hex.EncodeToString(b.RTMR[2][:])
		res.RTMR3 = hex.EncodeToString(b.RTMR[3][:])
		res.ReportData = hex.EncodeToString(b.ReportData[:])
		res.TDAttributes = hex.EncodeToString(b.TDAttributes[:])
		res.XFAM = hex.EncodeToString(b.XFAM[:])
		res.TEETCBSVN = hex.EncodeToString(b.TEETCBSVN[:])
	}
	return res
}

// exitCode maps the outcome to the process exit status.
func (r *result) exitCode(verr error) int {
	switch {
	case verr == nil:
		return exitOK
	case r.failedKind != "":
		return exitRejected
	default:
		return exitUsage
	}
}

// write prints the result as JSON or as a human report.
func (r *result) write(w io.Writer, asJSON bool) error {
	if asJSON {
		return writeJSON(w, r)
	}
	return r.writeHuman(w)
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
	verify.CheckPolicy:         "accepted: TCB status, TD attributes and policy",
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
	if r.TCBStatus != "" {
		fmt.Fprintf(w, "tcb: %s (platform %s, module %s, qe %s)", r.TCBStatus, r.PlatformTCBStatus, orNone(r.TDXModuleTCBStatus), r.QETCBStatus)
		if len(r.AdvisoryIDs) > 0 {
			fmt.Fprintf(w, " advisories %v", r.AdvisoryIDs)
		}
		fmt.Fprintln(w)
	}
	if r.MRTD != "" {
		fmt.Fprintf(w, "quote v%d fmspc %s mrtd %s\n", r.QuoteVersion, orNone(r.FMSPC), r.MRTD)
	}
	if r.Error != nil {
		_, err := fmt.Fprintf(w, "REJECTED: %s\n", r.Error.Message)
		return err
	}
	_, err := fmt.Fprintln(w, "VERIFIED")
	return err
}

// orNone prints "-" for an empty string.
func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
