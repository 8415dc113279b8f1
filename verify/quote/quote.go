// Package quote parses and serializes Intel TDX DCAP quotes (versions 4 and 5).
//
// The parser is strict: every length field is bounds-checked before it is
// used, and anything it cannot account for is an error, except trailing zero
// bytes after the quote, which real dstack guests append. It checks format
// only; signatures, certificates and TCB levels are the job of package verify.
package quote

// Quote format constants.
const (
	// Version4 is the TDX quote v4 format (TD report 1.0 body).
	Version4 = 4
	// Version5 is the TDX quote v5 format (body type 2 or 3).
	Version5 = 5

	// AttestationKeyTypeECDSAP256 is the only attestation key type of TDX quotes.
	AttestationKeyTypeECDSAP256 = 2
	// TEETypeTDX identifies a TDX quote in the header.
	TEETypeTDX = 0x81

	// BodyTypeTD10 is the v5 body type of a TD report 1.0 (584 bytes).
	BodyTypeTD10 = 2
	// BodyTypeTD15 is the v5 body type of a TD report 1.5 (648 bytes).
	BodyTypeTD15 = 3

	// CertDataTypeQEReport is certification data holding the QE report,
	// its signature, QE auth data and the inner PCK certification data.
	CertDataTypeQEReport = 6
	// CertDataTypePCKChain is certification data holding a PEM PCK chain.
	CertDataTypePCKChain = 5

	// HeaderSize is the size of the quote header.
	HeaderSize = 48
	// BodySizeTD10 is the size of a TD report 1.0 body.
	BodySizeTD10 = 584
	// BodySizeTD15 is the size of a TD report 1.5 body.
	BodySizeTD15 = 648
	// EnclaveReportSize is the size of the QE's SGX enclave report.
	EnclaveReportSize = 384
	// SignatureSize is the size of a raw ECDSA P-256 signature (r || s).
	SignatureSize = 64
	// PublicKeySize is the size of a raw ECDSA P-256 public key (x || y).
	PublicKeySize = 64

	// MaxQuoteSize bounds the input accepted by Parse. Real quotes are about
	// 5 KiB; 64 KiB leaves room for long PCK chains and QE auth data.
	MaxQuoteSize = 64 << 10
)

// IntelQEVendorID is the QE vendor id of Intel's quoting enclave.
var IntelQEVendorID = [16]byte{0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07}

// Header is the 48-byte quote header.
type Header struct {
	Version            uint16
	AttestationKeyType uint16
	TEEType            uint32
	QESVN              uint16
	PCESVN             uint16
	QEVendorID         [16]byte
	UserData           [20]byte
}

// Body is the TD report carried in the quote. TEETCBSVN2 and MRServiceTD are
// zero unless the body is a TD report 1.5 (v5 body type 3).
type Body struct {
	TEETCBSVN      [16]byte
	MRSEAM         [48]byte
	MRSignerSEAM   [48]byte
	SEAMAttributes [8]byte
	TDAttributes   [8]byte
	XFAM           [8]byte
	MRTD           [48]byte
	MRConfigID     [48]byte
	MROwner        [48]byte
	MROwnerConfig  [48]byte
	RTMR           [4][48]byte
	ReportData     [64]byte
	TEETCBSVN2     [16]byte
	MRServiceTD    [48]byte
}

// EnclaveReport is the 384-byte SGX report of the quoting enclave.
type EnclaveReport struct {
	CPUSVN     [16]byte
	MiscSelect uint32
	Attributes [16]byte
	MREnclave  [32]byte
	MRSigner   [32]byte
	ISVProdID  uint16
	ISVSVN     uint16
	ReportData [64]byte
}

// Quote is a parsed TDX quote. Byte slices alias the input given to Parse.
type Quote struct {
	Header Header
	// BodyType is BodyTypeTD10 for v4 quotes; for v5 quotes it is the
	// body type field (BodyTypeTD10 or BodyTypeTD15).
	BodyType uint16
	Body     Body

	// Signature is the quote signature (r || s) by the attestation key.
	Signature [SignatureSize]byte
	// AttestationKey is the raw P-256 public key (x || y) of the QE.
	AttestationKey [PublicKeySize]byte

	// QEReport is the QE's enclave report; QEReportRaw its exact 384 bytes,
	// which QEReportSignature (by the PCK leaf key) covers.
	QEReport          EnclaveReport
	QEReportRaw       []byte
	QEReportSignature [SignatureSize]byte
	// QEAuthData is hashed with AttestationKey into QEReport.ReportData.
	QEAuthData []byte
	// PCKChainPEM is the PEM PCK certificate chain, leaf first, with any
	// trailing NUL bytes removed.
	PCKChainPEM []byte

	// SignedData is the exact byte range the quote signature covers: header
	// and body for v4; header, body type, body size and body for v5.
	SignedData []byte
	// Raw is the whole quote without trailing zero padding.
	Raw []byte
}
