package quote

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Marshal returns the wire encoding of q, built from Header, BodyType,
// Body, Signature, AttestationKey, QEReport, QEReportSignature, QEAuthData
// and PCKChainPEM; Raw, SignedData and QEReportRaw are ignored. It checks
// only what the layout depends on (version, body type, field sizes), so it
// can build well-formed quotes with unsupported header values for tests.
// A version 4 quote needs BodyType BodyTypeTD10 or zero. Parse(Marshal(q))
// reproduces q.
func (q *Quote) Marshal() ([]byte, error) {
	if err := q.checkLayout(); err != nil {
		return nil, err
	}
	if len(q.QEAuthData) > math.MaxUint16 {
		return nil, &FormatError{
			Field:    "QE auth data",
			Offset:   -1,
			Expected: fmt.Sprintf("at most %d bytes", math.MaxUint16),
			Found:    fmt.Sprintf("%d bytes", len(q.QEAuthData)),
		}
	}
	pckSize := len(q.PCKChainPEM)
	certSize := EnclaveReportSize + SignatureSize + 2 + len(q.QEAuthData) + 6 + pckSize
	sigSize := SignatureSize + PublicKeySize + 6 + certSize
	signed := q.signedDataSize()
	total := signed + 4 + sigSize
	if total > MaxQuoteSize {
		return nil, tooLarge(-1, total)
	}

	out := make([]byte, 0, total)
	out = q.appendSignedData(out)
	out = binary.LittleEndian.AppendUint32(out, uint32(sigSize))
	out = append(out, q.Signature[:]...)
	out = append(out, q.AttestationKey[:]...)
	out = binary.LittleEndian.AppendUint16(out, CertDataTypeQEReport)
	out = binary.LittleEndian.AppendUint32(out, uint32(certSize))
	out = q.QEReport.append(out)
	out = append(out, q.QEReportSignature[:]...)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(q.QEAuthData)))
	out = append(out, q.QEAuthData...)
	out = binary.LittleEndian.AppendUint16(out, CertDataTypePCKChain)
	out = binary.LittleEndian.AppendUint32(out, uint32(pckSize))
	return append(out, q.PCKChainPEM...), nil
}

// MarshalSignedData returns the bytes the quote signature covers, built
// from Header, BodyType and Body: header || body for version 4 (and any
// version other than 5); header || body type || body size || body for
// version 5. The body is encoded as a TD report 1.5 when BodyType is
// BodyTypeTD15, else as a TD report 1.0.
func (q *Quote) MarshalSignedData() []byte {
	return q.appendSignedData(make([]byte, 0, q.signedDataSize()))
}

// checkLayout rejects a version or body type whose layout is unknown.
func (q *Quote) checkLayout() error {
	switch q.Header.Version {
	case Version4:
		if q.BodyType != 0 && q.BodyType != BodyTypeTD10 {
			return &UnsupportedError{
				Field:    "body type",
				Expected: fmt.Sprintf("%d (TD report 1.0) for a version 4 quote", BodyTypeTD10),
				Found:    fmt.Sprint(q.BodyType),
			}
		}
	case Version5:
		return checkV5BodyType(q.BodyType)
	default:
		return &UnsupportedError{Field: "version", Expected: "4 or 5", Found: fmt.Sprint(q.Header.Version)}
	}
	return nil
}

// checkV5BodyType rejects a version 5 body type other than a TD report 1.0
// or 1.5.
func checkV5BodyType(t uint16) error {
	if t != BodyTypeTD10 && t != BodyTypeTD15 {
		return &UnsupportedError{
			Field:    "body type",
			Expected: fmt.Sprintf("%d (TD report 1.0) or %d (TD report 1.5)", BodyTypeTD10, BodyTypeTD15),
			Found:    fmt.Sprint(t),
		}
	}
	return nil
}

// bodySize returns the encoded size of the body for q.BodyType.
func (q *Quote) bodySize() int {
	if q.BodyType == BodyTypeTD15 {
		return BodySizeTD15
	}
	return BodySizeTD10
}

// signedDataSize returns the length of the encoding of the signed data.
func (q *Quote) signedDataSize() int {
	if q.Header.Version == Version5 {
		return HeaderSize + 6 + q.bodySize()
	}
	return HeaderSize + q.bodySize()
}

// appendSignedData appends the signed data encoding to dst.
func (q *Quote) appendSignedData(dst []byte) []byte {
	dst = appendHeader(dst, &q.Header)
	td15 := q.BodyType == BodyTypeTD15
	if q.Header.Version == Version5 {
		dst = binary.LittleEndian.AppendUint16(dst, q.BodyType)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(q.bodySize()))
	}
	return appendBody(dst, &q.Body, td15)
}
