package quote

import (
	"encoding/binary"
	"fmt"
)

// Reserved field sizes of the SGX REPORT body, in layout order.
const (
	reportReserved1 = 28
	reportReserved2 = 32
	reportReserved3 = 96
	reportReserved4 = 60
)

// ParseEnclaveReport decodes the EnclaveReportSize-byte SGX REPORT body of
// the quoting enclave. Reserved fields are not checked: the QE report
// signature covers the raw bytes, whatever they hold.
func ParseEnclaveReport(b []byte) (EnclaveReport, error) {
	if len(b) != EnclaveReportSize {
		return EnclaveReport{}, &FormatError{
			Field:    "QE report",
			Offset:   -1,
			Expected: fmt.Sprintf("%d bytes", EnclaveReportSize),
			Found:    fmt.Sprintf("%d bytes", len(b)),
		}
	}
	return parseEnclaveReport(b), nil
}

// parseEnclaveReport decodes a report whose length has been checked.
func parseEnclaveReport(b []byte) EnclaveReport {
	f := fields{b: b}
	var r EnclaveReport
	copy(r.CPUSVN[:], f.next(16))
	r.MiscSelect = f.u32()
	f.skip(reportReserved1)
	copy(r.Attributes[:], f.next(16))
	copy(r.MREnclave[:], f.next(32))
	f.skip(reportReserved2)
	copy(r.MRSigner[:], f.next(32))
	f.skip(reportReserved3)
	r.ISVProdID = f.u16()
	r.ISVSVN = f.u16()
	f.skip(reportReserved4)
	copy(r.ReportData[:], f.next(64))
	return r
}

// Marshal returns the EnclaveReportSize-byte SGX REPORT body layout of r,
// little-endian, with zero reserved fields.
func (r *EnclaveReport) Marshal() []byte {
	return r.append(make([]byte, 0, EnclaveReportSize))
}

// append appends the encoding of r to dst.
func (r *EnclaveReport) append(dst []byte) []byte {
	var zero [reportReserved3]byte
	dst = append(dst, r.CPUSVN[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, r.MiscSelect)
	dst = append(dst, zero[:reportReserved1]...)
	dst = append(dst, r.Attributes[:]...)
	dst = append(dst, r.MREnclave[:]...)
	dst = append(dst, zero[:reportReserved2]...)
	dst = append(dst, r.MRSigner[:]...)
	dst = append(dst, zero[:reportReserved3]...)
	dst = binary.LittleEndian.AppendUint16(dst, r.ISVProdID)
	dst = binary.LittleEndian.AppendUint16(dst, r.ISVSVN)
	dst = append(dst, zero[:reportReserved4]...)
	return append(dst, r.ReportData[:]...)
}
