package quote

import "encoding/binary"

// fields walks a fixed-size structure whose length has already been
// checked, handing out its consecutive fields.
type fields struct {
	b   []byte
	pos int
}

// next returns the next n bytes.
func (f *fields) next(n int) []byte {
	s := f.b[f.pos : f.pos+n]
	f.pos += n
	return s
}

// skip passes over n reserved bytes.
func (f *fields) skip(n int) { f.pos += n }

// u16 returns the next little-endian uint16.
func (f *fields) u16() uint16 { return binary.LittleEndian.Uint16(f.next(2)) }

// u32 returns the next little-endian uint32.
func (f *fields) u32() uint32 { return binary.LittleEndian.Uint32(f.next(4)) }

// parseHeader decodes a HeaderSize-byte header.
func parseHeader(b []byte) Header {
	f := fields{b: b}
	var h Header
	h.Version = f.u16()
	h.AttestationKeyType = f.u16()
	h.TEEType = f.u32()
	h.QESVN = f.u16()
	h.PCESVN = f.u16()
	copy(h.QEVendorID[:], f.next(16))
	copy(h.UserData[:], f.next(20))
	return h
}

// appendHeader appends the HeaderSize-byte encoding of h to dst.
func appendHeader(dst []byte, h *Header) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, h.Version)
	dst = binary.LittleEndian.AppendUint16(dst, h.AttestationKeyType)
	dst = binary.LittleEndian.AppendUint32(dst, h.TEEType)
	dst = binary.LittleEndian.AppendUint16(dst, h.QESVN)
	dst = binary.LittleEndian.AppendUint16(dst, h.PCESVN)
	dst = append(dst, h.QEVendorID[:]...)
	return append(dst, h.UserData[:]...)
}

// parseBody decodes a TD report body of BodySizeTD10 or BodySizeTD15 bytes;
// the TD 1.5 fields are read only from a body of the larger size.
func parseBody(b []byte) Body {
	f := fields{b: b}
	var r Body
	copy(r.TEETCBSVN[:], f.next(16))
	copy(r.MRSEAM[:], f.next(48))
	copy(r.MRSignerSEAM[:], f.next(48))
	copy(r.SEAMAttributes[:], f.next(8))
	copy(r.TDAttributes[:], f.next(8))
	copy(r.XFAM[:], f.next(8))
	copy(r.MRTD[:], f.next(48))
	copy(r.MRConfigID[:], f.next(48))
	copy(r.MROwner[:], f.next(48))
	copy(r.MROwnerConfig[:], f.next(48))
	for i := range r.RTMR {
		copy(r.RTMR[i][:], f.next(48))
	}
	copy(r.ReportData[:], f.next(64))
	if len(b) == BodySizeTD15 {
		copy(r.TEETCBSVN2[:], f.next(16))
		copy(r.MRServiceTD[:], f.next(48))
	}
	return r
}

// appendBody appends the encoding of r to dst: BodySizeTD15 bytes when
// td15 is set, else BodySizeTD10 bytes (TEETCBSVN2 and MRServiceTD are
// then not encoded).
func appendBody(dst []byte, r *Body, td15 bool) []byte {
	dst = append(dst, r.TEETCBSVN[:]...)
	dst = append(dst, r.MRSEAM[:]...)
	dst = append(dst, r.MRSignerSEAM[:]...)
	dst = append(dst, r.SEAMAttributes[:]...)
	dst = append(dst, r.TDAttributes[:]...)
	dst = append(dst, r.XFAM[:]...)
	dst = append(dst, r.MRTD[:]...)
	dst = append(dst, r.MRConfigID[:]...)
	dst = append(dst, r.MROwner[:]...)
	dst = append(dst, r.MROwnerConfig[:]...)
	for i := range r.RTMR {
		dst = append(dst, r.RTMR[i][:]...)
	}
	dst = append(dst, r.ReportData[:]...)
	if td15 {
		dst = append(dst, r.TEETCBSVN2[:]...)
		dst = append(dst, r.MRServiceTD[:]...)
	}
	return dst
}
