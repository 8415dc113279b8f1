package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// result is the JSON object "quote verify" prints.
type result struct {
	Verified           bool         `json:"verified"`
	TCBStatus          string       `json:"tcb_status"`
	PlatformTCBStatus  string       `json:"platform_tcb_status"`
	TDXModuleTCBStatus string       `json:"tdx_module_tcb_status"`
	QETCBStatus        string       `json:"qe_tcb_status"`
	AdvisoryIDs        []string     `json:"advisory_ids"`
	QuoteVersion       int          `json:"quote_version"`
	FMSPC              string       `json:"fmspc"`
	MRTD               string       `json:"mrtd"`
	RTMR0              string       `json:"rtmr0"`
	RTMR1              string       `json:"rtmr1"`
	RTMR2              string       `json:"rtmr2"`
	RTMR3              string       `json:"rtmr3"`
	ReportData         string       `json:"report_data"`
	TDAttributes       string       `json:"td_attributes"`
	XFAM               string       `json:"xfam"`
	TEETCBSVN          string       `json:"tee_tcb_svn"`
	Error              *resultError `json:"error,omitempty"`

	// failedKind drives the human report; not printed as JSON.
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
	if report != nil {
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

// check is one line of the human report: a check and the error kinds that
// mean it failed.
type check struct {
	name string
	// needsCollateral marks a check that does not run without collateral.
	needsCollateral bool
	kinds           []verify.Kind
}

// quoteChecks lists the quote checks in the order the human report shows
// them.
var quoteChecks = []check{
	{"quote format", false, []verify.Kind{verify.KindMalformedQuote, verify.KindUnsupportedQuote}},
	{"collateral available", true, []verify.Kind{verify.KindCollateralUnavailable}},
	{"PCK certificate chain to the trusted root", false, []verify.Kind{verify.KindCertChain, verify.KindUntrustedRoot, verify.KindRevoked}},
	{"QE report signed by the PCK key", false, []verify.Kind{verify.KindQEReportSignature}},
	{"QE report binds the attestation key", false, []verify.Kind{verify.KindQEReportBinding}},
	{"quote signed by the attestation key", false, []verify.Kind{verify.KindQuoteSignature}},
	{"collateral signed, current and for this platform", true, []verify.Kind{verify.KindCollateralSignature, verify.KindCollateralExpired, verify.KindCollateralMismatch}},
	{"QE identity", true, []verify.Kind{verify.KindQEIdentityMismatch}},
	{"platform, TDX module and QE TCB levels", true, []verify.Kind{verify.KindTCBNotSupported, verify.KindTDXModuleMismatch}},
	{"TCB status accepted", false, []verify.Kind{verify.KindTCBStatus}},
	{"TD is not in debug mode", false, []verify.Kind{verify.KindDebugTD}},
}

// writeHuman prints one line a check, then the verdict.
func (r *result) writeHuman(w io.Writer) error {
	if err := r.writeChecks(w, quoteChecks, nil); err != nil {
		return err
	}
	return r.writeVerdict(w)
}

// writeChecks prints one line a check: ok, FAIL for the check that failed,
// "--" for those after it, "skip" for those that did not run (skipped
// names them, with the reason), "??" for all when the failure matches none.
func (r *result) writeChecks(w io.Writer, checks []check, skipped map[string]string) error {
	failedAt := -1
	for i, c := range checks {
		if slices.Contains(c.kinds, r.failedKind) {
			failedAt = i
		}
	}
	for i, c := range checks {
		mark, note := "ok  ", ""
		switch {
		case r.Error != nil && failedAt < 0:
			mark = "??  "
		case skipped[c.name] != "":
			mark, note = "skip", " ("+skipped[c.name]+")"
		case c.needsCollateral && r.TCBStatus == string(verify.StatusUnknown):
			mark, note = "skip", " (no collateral)"
		case i == failedAt:
			mark = "FAIL"
		case failedAt >= 0 && i > failedAt:
			mark = "--  "
		}
		if _, err := fmt.Fprintf(w, "%s %s%s\n", mark, c.name, note); err != nil {
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
