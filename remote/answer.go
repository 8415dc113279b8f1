package remote

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/cvmgate/cvmgate/internal/clip"
	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// MaxAnswerSize bounds an answer's body. Phala's carries the quote's
// fields and its collateral, tens of kilobytes.
const MaxAnswerSize = 1 << 20

// maxDetail bounds the verifier's message kept in a Verdict or an Error.
const maxDetail = 256

// Messages of Phala's verifier that are verdicts, not request errors.
const (
	detailVerificationFailed = "Quote verification failed"
	detailInvalidQuote       = "Invalid quote"
)

// answerJSON is what is read of an answer.
type answerJSON struct {
	Quote *struct {
		// Verified is a boolean, or 1 and 0 (as one page of Phala's
		// documentation has it).
		Verified json.RawMessage `json:"verified"`
		Body     *struct {
			ReportData string `json:"reportdata"`
		} `json:"body"`
	} `json:"quote"`
	Checksum string `json:"checksum"`
}

// parseAnswer reads an answer of HTTP status code status. Its error is
// an *Error without its URL.
func parseAnswer(status int, body []byte) (*Verdict, error) {
	switch {
	case status == http.StatusOK:
		return parseVerdict(body)
	case status == http.StatusTooManyRequests, status >= 500:
		return nil, &Error{Class: ErrUnavailable, Status: status, Detail: detailOf(body)}
	}
	d := detailOf(body)
	switch {
	case status == http.StatusBadRequest && d == detailVerificationFailed,
		status == http.StatusUnprocessableEntity && strings.HasPrefix(d, detailInvalidQuote):
		return &Verdict{Verified: false, Detail: d}, nil
	}
	return nil, &Error{Class: ErrRequest, Status: status, Detail: d}
}

// parseVerdict reads a 200 answer.
func parseVerdict(body []byte) (*Verdict, error) {
	var a answerJSON
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, &Error{Class: ErrAnswer, Status: http.StatusOK, Err: err}
	}
	if a.Quote == nil || len(a.Quote.Verified) == 0 {
		return nil, &Error{Class: ErrAnswer, Status: http.StatusOK, Err: errors.New(`no "quote.verified" in the answer`)}
	}
	var v Verdict
	switch string(a.Quote.Verified) {
	case "true", "1":
		v.Verified = true
	case "false", "0":
	default:
		return nil, &Error{Class: ErrAnswer, Status: http.StatusOK,
			Err: errors.New(`"quote.verified": expected true, false, 1 or 0, found ` + clipDetail(string(a.Quote.Verified)))}
	}
	if !v.Verified {
		v.Detail = detailOf(body)
	}
	v.Checksum = clipDetail(a.Checksum)
	if b := a.Quote.Body; b != nil && b.ReportData != "" {
		rd, err := hexfmt.Decode(b.ReportData)
		if err != nil {
			return nil, &Error{Class: ErrAnswer, Status: http.StatusOK, Err: errors.New(`"quote.body.reportdata": not hex`)}
		}
		v.ReportData = rd
	}
	return &v, nil
}

// detailOf returns the "detail" of an error answer: its string, or the
// compact JSON of another value (a list of validation errors), clipped;
// "" when there is none.
func detailOf(body []byte) string {
	var a struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &a) != nil || len(a.Detail) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(a.Detail, &s) == nil {
		return clipDetail(s)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, a.Detail) != nil {
		return ""
	}
	return clipDetail(buf.String())
}

// clipDetail bounds a string from the verifier to maxDetail bytes.
func clipDetail(s string) string { return clip.ValidString(s, maxDetail) }
