package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
)

var quoteDecodeCmd = &command{
	name:     "quote decode",
	summary:  "print a TDX quote's fields as JSON, without verifying it",
	synopsis: "--quote FILE",
	about: `Prints the quote's header, TD report body, signature data and a summary of its PCK
certificate chain as one JSON object (schema_version 1, byte fields in lower-case hex).
Nothing is verified: the fields are what the quote claims. Use 'quote verify' to know
whether they are true.

--quote reads ` + quoteFormats + `; - reads standard input.`,
	flags: quoteDecodeFlags,
	examples: []example{
		{"the measurements of a quote", "cvmgate quote decode --quote quote.hex | jq .body.rtmr3"},
		{"the FMSPC of the platform that made it", "cvmgate quote decode --quote - < att.json | jq -r .pck.fmspc"},
	},
	exits: []exitDoc{
		{exitOK, "decoded"},
		{exitRefused, "the quote is malformed: it does not parse as a TDX quote v4 or v5"},
		{exitUsage, "usage or local input error: a flag, an unreadable file"},
	},
}

// quoteDecodeFlags registers the flags of "quote decode".
func quoteDecodeFlags(fs *flag.FlagSet) runFunc {
	var quoteFile string
	fs.StringVar(&quoteFile, "quote", "", "the quote in `FILE`: raw, hex, base64, or JSON with a \"quote\" field; - reads standard input (required)")
	return func(_ context.Context, e *env, _ []string) error {
		if quoteFile == "" {
			return usagef("--quote FILE is required: the quote to decode")
		}
		raw, err := loadQuote(e, quoteFile)
		if err != nil {
			return err
		}
		q, err := quote.Parse(raw)
		if err != nil {
			return evidenceError("--quote "+quoteFile, err)
		}
		return writeJSON(e.stdout, decodeQuoteJSON(q))
	}
}

// decodedQuote is the JSON "quote decode" prints.
type decodedQuote struct {
	SchemaVersion int           `json:"schema_version"`
	Header        decodedHeader `json:"header"`
	BodyType      int           `json:"body_type"`
	Body          decodedBody   `json:"body"`
	Signature     decodedSig    `json:"signature"`
	PCK           *decodedPCK   `json:"pck"`
	PCKChain      []decodedCert `json:"pck_chain"`
	Size          int           `json:"size"`
}

type decodedHeader struct {
	Version            int    `json:"version"`
	AttestationKeyType int    `json:"attestation_key_type"`
	TEEType            string `json:"tee_type"`
	QESVN              int    `json:"qe_svn"`
	PCESVN             int    `json:"pce_svn"`
	QEVendorID         string `json:"qe_vendor_id"`
	UserData           string `json:"user_data"`
}

type decodedBody struct {
	TEETCBSVN      string `json:"tee_tcb_svn"`
	MRSEAM         string `json:"mr_seam"`
	MRSignerSEAM   string `json:"mr_signer_seam"`
	SEAMAttributes string `json:"seam_attributes"`
	TDAttributes   string `json:"td_attributes"`
	Debug          bool   `json:"debug"`
	SEPTVEDisable  bool   `json:"sept_ve_disable"`
	XFAM           string `json:"xfam"`
	MRTD           string `json:"mr_td"`
	MRConfigID     string `json:"mr_config_id"`
	MROwner        string `json:"mr_owner"`
	MROwnerConfig  string `json:"mr_owner_config"`
	RTMR0          string `json:"rtmr0"`
	RTMR1          string `json:"rtmr1"`
	RTMR2          string `json:"rtmr2"`
	RTMR3          string `json:"rtmr3"`
	ReportData     string `json:"report_data"`
	// TD 1.5 fields, only in v5 quotes of body type 3.
	TEETCBSVN2  string `json:"tee_tcb_svn2,omitempty"`
	MRServiceTD string `json:"mr_service_td,omitempty"`
}

type decodedSig struct {
	QuoteSignature    string          `json:"quote_signature"`
	AttestationKey    string          `json:"attestation_key"`
	QEReport          decodedQEReport `json:"qe_report"`
	QEReportSignature string          `json:"qe_report_signature"`
	QEAuthData        string          `json:"qe_auth_data"`
}

type decodedQEReport struct {
	CPUSVN     string `json:"cpu_svn"`
	MiscSelect string `json:"misc_select"`
	Attributes string `json:"attributes"`
	MREnclave  string `json:"mr_enclave"`
	MRSigner   string `json:"mr_signer"`
	ISVProdID  int    `json:"isv_prod_id"`
	ISVSVN     int    `json:"isv_svn"`
	ReportData string `json:"report_data"`
}

// decodedPCK is the SGX extension of the PCK leaf; nil when it does not
// parse.
type decodedPCK struct {
	FMSPC    string `json:"fmspc"`
	PCEID    string `json:"pce_id"`
	PCESVN   int    `json:"pce_svn"`
	CPUSVN   string `json:"cpu_svn"`
	SGXType  int    `json:"sgx_type"`
	PPIDHash string `json:"ppid_sha256"`
}

// decodedCert summarizes one certificate of the PCK chain.
type decodedCert struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"`
}

// decodeQuoteJSON builds the JSON form of q.
func decodeQuoteJSON(q *quote.Quote) *decodedQuote {
	h, b, r := &q.Header, &q.Body, &q.QEReport
	out := &decodedQuote{
		SchemaVersion: schemaVersion,
		Header: decodedHeader{
			Version: int(h.Version), AttestationKeyType: int(h.AttestationKeyType),
			TEEType: fmt.Sprintf("0x%08x", h.TEEType), QESVN: int(h.QESVN), PCESVN: int(h.PCESVN),
			QEVendorID: hx(h.QEVendorID[:]), UserData: hx(h.UserData[:]),
		},
		BodyType: int(q.BodyType),
		Body: decodedBody{
			TEETCBSVN: hx(b.TEETCBSVN[:]), MRSEAM: hx(b.MRSEAM[:]), MRSignerSEAM: hx(b.MRSignerSEAM[:]),
			SEAMAttributes: hx(b.SEAMAttributes[:]), TDAttributes: hx(b.TDAttributes[:]),
			Debug: b.Debug(), SEPTVEDisable: b.SEPTVEDisable(), XFAM: hx(b.XFAM[:]),
			MRTD: hx(b.MRTD[:]), MRConfigID: hx(b.MRConfigID[:]), MROwner: hx(b.MROwner[:]), MROwnerConfig: hx(b.MROwnerConfig[:]),
			RTMR0: hx(b.RTMR[0][:]), RTMR1: hx(b.RTMR[1][:]), RTMR2: hx(b.RTMR[2][:]), RTMR3: hx(b.RTMR[3][:]),
			ReportData: hx(b.ReportData[:]),
		},
		Signature: decodedSig{
			QuoteSignature: hx(q.Signature[:]), AttestationKey: hx(q.AttestationKey[:]),
			QEReport: decodedQEReport{
				CPUSVN: hx(r.CPUSVN[:]), MiscSelect: fmt.Sprintf("%08x", r.MiscSelect), Attributes: hx(r.Attributes[:]),
				MREnclave: hx(r.MREnclave[:]), MRSigner: hx(r.MRSigner[:]),
				ISVProdID: int(r.ISVProdID), ISVSVN: int(r.ISVSVN), ReportData: hx(r.ReportData[:]),
			},
			QEReportSignature: hx(q.QEReportSignature[:]), QEAuthData: hx(q.QEAuthData),
		},
		PCKChain: []decodedCert{},
		Size:     len(q.Raw),
	}
	if q.BodyType == quote.BodyTypeTD15 {
		out.Body.TEETCBSVN2, out.Body.MRServiceTD = hx(b.TEETCBSVN2[:]), hx(b.MRServiceTD[:])
	}
	certs, err := q.PCKChain()
	if err != nil {
		return out
	}
	for _, c := range certs {
		sum := sha256.Sum256(c.Raw)
		out.PCKChain = append(out.PCKChain, decodedCert{
			Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: strings.ToLower(c.SerialNumber.Text(16)),
			NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), SHA256: hx(sum[:]),
		})
	}
	out.PCK = decodePCK(certs[0])
	return out
}

// decodePCK reads the SGX extension of the PCK leaf, or returns nil.
func decodePCK(leaf *x509.Certificate) *decodedPCK {
	ext, err := pck.ParseExtensions(leaf)
	if err != nil {
		return nil
	}
	ppid := sha256.Sum256(ext.PPID)
	return &decodedPCK{
		FMSPC: ext.FMSPCHex(), PCEID: ext.PCEIDHex(), PCESVN: int(ext.TCB.PCESVN),
		CPUSVN: hx(ext.TCB.CPUSVN[:]), SGXType: ext.SGXType, PPIDHash: hx(ppid[:]),
	}
}

// hx is lower-case hex.
func hx(b []byte) string { return hex.EncodeToString(b) }
