package quote

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// Parse decodes a TDX quote of version 4 or 5 from b.
//
// Every length field is checked against the bytes that remain before it is
// used, the signature data length must account exactly for its contents,
// and the nested certification data sizes must agree with their enclosing
// sizes. Bytes after the end of the quote must all be zero (real dstack
// guests pad quotes with zeros); any other trailing byte is an error. The
// input may be at most MaxQuoteSize bytes, padding included.
//
// Malformed input yields a *FormatError (matching ErrMalformed); a
// well-formed quote of another version, attestation key type, TEE type or
// QE vendor yields an *UnsupportedError (matching ErrUnsupported).
// Parse never panics. Byte slices in the result alias b.
func Parse(b []byte) (*Quote, error) {
	if len(b) > MaxQuoteSize {
		return nil, tooLarge(0, len(b))
	}
	c := &cursor{b: b}
	q := &Quote{}

	hb, err := c.take("header", HeaderSize)
	if err != nil {
		return nil, err
	}
	q.Header = parseHeader(hb)
	if err := checkHeader(&q.Header); err != nil {
		return nil, err
	}
	if err := q.parseBody(c); err != nil {
		return nil, err
	}
	q.SignedData = b[:c.pos:c.pos]

	sigSize, err := c.u32("signature data size")
	if err != nil {
		return nil, err
	}
	sig, err := c.sub("signature data", uint64(sigSize))
	if err != nil {
		return nil, err
	}
	if err := q.parseSignatureData(&sig); err != nil {
		return nil, err
	}

	end := c.pos
	if i := firstNonZero(b[end:]); i >= 0 {
		return nil, &FormatError{
			Field:    "trailing data",
			Offset:   end + i,
			Expected: "only zero bytes after the quote",
			Found:    fmt.Sprintf("byte 0x%02x", b[end+i]),
		}
	}
	q.Raw = b[:end:end]
	return q, nil
}

// firstNonZero returns the index of the first nonzero byte of b, or -1.
func firstNonZero(b []byte) int {
	for i, v := range b {
		if v != 0 {
			return i
		}
	}
	return -1
}

// checkHeader rejects quotes this package does not handle.
func checkHeader(h *Header) error {
	switch {
	case h.Version != Version4 && h.Version != Version5:
		return &UnsupportedError{Field: "version", Expected: "4 or 5", Found: fmt.Sprint(h.Version)}
	case h.AttestationKeyType != AttestationKeyTypeECDSAP256:
		return &UnsupportedError{
			Field:    "attestation key type",
			Expected: fmt.Sprintf("%d (ECDSA P-256)", AttestationKeyTypeECDSAP256),
			Found:    fmt.Sprint(h.AttestationKeyType),
		}
	case h.TEEType != TEETypeTDX:
		return &UnsupportedError{
			Field:    "TEE type",
			Expected: fmt.Sprintf("0x%x (TDX)", TEETypeTDX),
			Found:    fmt.Sprintf("0x%x", h.TEEType),
		}
	case h.QEVendorID != IntelQEVendorID:
		return &UnsupportedError{
			Field:    "QE vendor id",
			Expected: hex.EncodeToString(IntelQEVendorID[:]) + " (Intel)",
			Found:    hex.EncodeToString(h.QEVendorID[:]),
		}
	}
	return nil
}

// parseBody reads the TD report: directly after the header for v4; after
// a body type and body size for v5.
func (q *Quote) parseBody(c *cursor) error {
	q.BodyType = BodyTypeTD10
	if q.Header.Version == Version5 {
		bodyType, err := c.u16("body type")
		if err != nil {
			return err
		}
		if err := checkV5BodyType(bodyType); err != nil {
			return err
		}
		q.BodyType = bodyType
		off := c.offset()
		bodySize, err := c.u32("body size")
		if err != nil {
			return err
		}
		if bodySize != uint32(q.bodySize()) {
			return &FormatError{
				Field:    "body size",
				Offset:   off,
				Expected: fmt.Sprintf("%d for body type %d", q.bodySize(), bodyType),
				Found:    fmt.Sprint(bodySize),
			}
		}
	}
	body, err := c.take("body", uint64(q.bodySize()))
	if err != nil {
		return err
	}
	q.Body = parseBody(body)
	return nil
}

// parseSignatureData reads the ECDSA signature data, which must be used up
// exactly: signature, attestation key, then certification data of type 6
// whose size is the rest of the signature data.
func (q *Quote) parseSignatureData(c *cursor) error {
	b, err := c.take("quote signature", SignatureSize)
	if err != nil {
		return err
	}
	copy(q.Signature[:], b)
	if b, err = c.take("attestation key", PublicKeySize); err != nil {
		return err
	}
	copy(q.AttestationKey[:], b)
	cert, err := certificationData(c, "certification data", CertDataTypeQEReport, "QE report certification data")
	if err != nil {
		return err
	}
	return q.parseQEReportCertData(&cert)
}

// parseQEReportCertData reads certification data of type 6: QE report, its
// signature, QE auth data and the inner certification data of type 5.
func (q *Quote) parseQEReportCertData(c *cursor) error {
	b, err := c.take("QE report", EnclaveReportSize)
	if err != nil {
		return err
	}
	q.QEReportRaw = b
	q.QEReport = parseEnclaveReport(b)
	if b, err = c.take("QE report signature", SignatureSize); err != nil {
		return err
	}
	copy(q.QEReportSignature[:], b)
	authSize, err := c.u16("QE auth data size")
	if err != nil {
		return err
	}
	if q.QEAuthData, err = c.take("QE auth data", uint64(authSize)); err != nil {
		return err
	}
	pck, err := certificationData(c, "PCK certification data", CertDataTypePCKChain, "PCK certificate chain")
	if err != nil {
		return err
	}
	q.PCKChainPEM = bytes.TrimRight(pck.b, "\x00")
	return nil
}

// certificationData reads a certification data header (u16 type, u32
// size) that must be of type want and whose size must be exactly the rest
// of c, and returns a cursor over its data.
func certificationData(c *cursor, field string, want uint16, wantName string) (cursor, error) {
	off := c.offset()
	typ, err := c.u16(field + " type")
	if err != nil {
		return cursor{}, err
	}
	if typ != want {
		return cursor{}, &FormatError{
			Field:    field + " type",
			Offset:   off,
			Expected: fmt.Sprintf("%d (%s)", want, wantName),
			Found:    fmt.Sprint(typ),
		}
	}
	off = c.offset()
	size, err := c.u32(field + " size")
	if err != nil {
		return cursor{}, err
	}
	if uint64(size) != uint64(c.remaining()) {
		return cursor{}, &FormatError{
			Field:    field + " size",
			Offset:   off,
			Expected: fmt.Sprintf("%d (the rest of the enclosing data)", c.remaining()),
			Found:    fmt.Sprint(size),
		}
	}
	return c.sub(field, uint64(size))
}
