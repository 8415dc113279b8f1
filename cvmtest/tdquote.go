package cvmtest

import (
	"fmt"
	"math"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// QuoteOptions configures PKI.Quote. The zero value gives the default
// quote, which the default collateral rates UpToDate.
//
// Measurement fields (MRTD, RTMRs, REPORTDATA, attributes and the like) are
// used as given, zero included. Fields whose zero value no verifier would
// accept (TEETCBSVN, TDAttributes, the QE identity fields, QESVN) take a
// default instead; to put a literal zero there, edit the result of
// QuoteStruct and Resign it.
type QuoteOptions struct {
	// Version is quote.Version4 (the default) or quote.Version5.
	Version uint16
	// BodyType is the body type of a v5 quote: quote.BodyTypeTD10 or
	// quote.BodyTypeTD15 (the default for v5). Leave it zero for v4.
	BodyType uint16

	// TD report fields. A zero TDAttributes means DefaultTDAttributes.
	ReportData     [64]byte
	MRTD           [48]byte
	RTMRs          [4][48]byte
	MRConfigID     [48]byte
	MROwner        [48]byte
	MROwnerConfig  [48]byte
	TDAttributes   [8]byte
	XFAM           [8]byte
	MRSEAM         [48]byte
	MRSignerSEAM   [48]byte
	SEAMAttributes [8]byte
	// TEETCBSVN is the TDX module and platform SVN vector. Zero means the
	// default, which the default TCB info rates UpToDate with module
	// TDX_01; see PlatformFor and ModuleFor.
	TEETCBSVN [16]byte
	// TEETCBSVN2 and MRServiceTD exist in TD 1.5 bodies only. A zero
	// TEETCBSVN2 means TEETCBSVN (a TD not relaunched since the last TDX
	// module update).
	TEETCBSVN2  [16]byte
	MRServiceTD [48]byte

	// UserData is the header's user data.
	UserData [20]byte

	// QESVN is the QE's ISVSVN, in the QE report and the header. Zero
	// means the UpToDate level of the default QE identity; see QEFor.
	QESVN uint16
	// QEMRSigner, QEISVProdID and QEAttributes describe the QE in its
	// report. Zero means Intel's values (DefaultQEMRSigner,
	// DefaultQEISVProdID, DefaultQEAttributes), which the default QE
	// identity expects.
	QEMRSigner   [32]byte
	QEISVProdID  uint16
	QEAttributes [16]byte
	// QEMiscSelect, QEMREnclave and QECPUSVN are used as given; a zero
	// QECPUSVN means the PCK certificate's CPUSVN.
	QEMiscSelect uint32
	QEMREnclave  [32]byte
	QECPUSVN     [16]byte
	// QEAuthData is the QE authentication data hashed into the QE report.
	// Nil means the 32 bytes 0x00..0x1f real QEs send; use a non-nil empty
	// slice for none. At most 65535 bytes.
	QEAuthData []byte

	// Padding is the number of zero bytes appended after the quote, as
	// dstack's guest agent does.
	Padding int
}

// Quote returns a signed quote for opts, serialized by quote.Quote.Marshal
// and followed by opts.Padding zero bytes.
func (p *PKI) Quote(opts QuoteOptions) ([]byte, error) {
	if opts.Padding < 0 || opts.Padding > quote.MaxQuoteSize {
		return nil, invalid("quote options", "Padding", fmt.Sprintf("0..%d", quote.MaxQuoteSize), opts.Padding)
	}
	q, err := p.QuoteStruct(opts)
	if err != nil {
		return nil, err
	}
	raw, err := q.Marshal()
	if err != nil {
		return nil, &Error{Op: "marshal quote", Err: err}
	}
	return append(raw, make([]byte, opts.Padding)...), nil
}

// QuoteStruct returns the signed quote for opts as a struct, for tests that
// change a field and then call Resign (or not). Raw and SignedData are not
// set; quote.Parse fills them.
func (p *PKI) QuoteStruct(opts QuoteOptions) (*quote.Quote, error) {
	q, err := p.buildQuote(opts)
	if err != nil {
		return nil, err
	}
	if err := p.sign(q); err != nil {
		return nil, err
	}
	return q, nil
}

// buildQuote assembles the unsigned quote: header, body, QE report bound to
// the attestation key, and the PCK chain.
func (p *PKI) buildQuote(o QuoteOptions) (*quote.Quote, error) {
	const op = "quote options"
	version, bodyType := o.Version, o.BodyType
	switch version {
	case 0, quote.Version4:
		version = quote.Version4
		if bodyType != 0 && bodyType != quote.BodyTypeTD10 {
			return nil, invalid(op, "BodyType", fmt.Sprintf("0 or %d for a v4 quote", quote.BodyTypeTD10), bodyType)
		}
		bodyType = quote.BodyTypeTD10
	case quote.Version5:
		switch bodyType {
		case 0:
			bodyType = quote.BodyTypeTD15
		case quote.BodyTypeTD10, quote.BodyTypeTD15:
		default:
			return nil, invalid(op, "BodyType", fmt.Sprintf("%d or %d", quote.BodyTypeTD10, quote.BodyTypeTD15), bodyType)
		}
	default:
		return nil, invalid(op, "Version", fmt.Sprintf("%d or %d", quote.Version4, quote.Version5), version)
	}
	if bodyType == quote.BodyTypeTD10 && (o.TEETCBSVN2 != [16]byte{} || o.MRServiceTD != [48]byte{}) {
		return nil, invalid(op, "TEETCBSVN2/MRServiceTD", "zero in a TD 1.0 body", "non-zero")
	}
	if len(o.QEAuthData) > math.MaxUint16 {
		return nil, invalid(op, "QEAuthData", "at most 65535 bytes", len(o.QEAuthData))
	}

	teeTCBSVN := or(o.TEETCBSVN, defaultTEETCBSVN())
	body := quote.Body{
		TEETCBSVN:      teeTCBSVN,
		MRSEAM:         o.MRSEAM,
		MRSignerSEAM:   o.MRSignerSEAM,
		SEAMAttributes: o.SEAMAttributes,
		TDAttributes:   or(o.TDAttributes, DefaultTDAttributes),
		XFAM:           o.XFAM,
		MRTD:           o.MRTD,
		MRConfigID:     o.MRConfigID,
		MROwner:        o.MROwner,
		MROwnerConfig:  o.MROwnerConfig,
		RTMR:           o.RTMRs,
		ReportData:     o.ReportData,
	}
	if bodyType == quote.BodyTypeTD15 {
		body.TEETCBSVN2 = or(o.TEETCBSVN2, teeTCBSVN)
		body.MRServiceTD = o.MRServiceTD
	}

	qeSVN := o.QESVN
	if qeSVN == 0 {
		qeSVN = qeLevels[0].isvsvn
	}
	authData := o.QEAuthData
	if authData == nil {
		authData = make([]byte, 32)
		for i := range authData {
			authData[i] = byte(i)
		}
	}
	prodID := o.QEISVProdID
	if prodID == 0 {
		prodID = DefaultQEISVProdID
	}

	q := &quote.Quote{
		Header: quote.Header{
			Version:            version,
			AttestationKeyType: quote.AttestationKeyTypeECDSAP256,
			TEEType:            quote.TEETypeTDX,
			QESVN:              qeSVN,
			PCESVN:             p.Extensions.TCB.PCESVN,
			QEVendorID:         quote.IntelQEVendorID,
			UserData:           o.UserData,
		},
		BodyType:       bodyType,
		Body:           body,
		AttestationKey: rawPublicKey(&p.AttestationKey.PublicKey),
		QEReport: quote.EnclaveReport{
			CPUSVN:     or(o.QECPUSVN, p.Extensions.TCB.CPUSVN),
			MiscSelect: o.QEMiscSelect,
			Attributes: or(o.QEAttributes, DefaultQEAttributes),
			MREnclave:  o.QEMREnclave,
			MRSigner:   or(o.QEMRSigner, DefaultQEMRSigner),
			ISVProdID:  prodID,
			ISVSVN:     qeSVN,
		},
		QEAuthData:  clone(authData),
		PCKChainPEM: clone(p.PCKChainPEM),
	}
	BindQEReport(q)
	return q, nil
}

// DefaultTDAttributes is the TDATTRIBUTES of the default quote:
// SEPT_VE_DISABLE (bit 28) set and nothing else, as in real dstack TDs.
var DefaultTDAttributes = [8]byte{3: 0x10}

// or returns v, or def where v is the zero value.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
