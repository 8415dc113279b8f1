package quote_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// TestCrossCheckGoTDXGuest parses every real v4 vector with go-tdx-guest's
// abi.QuoteToProto as well and compares the two field by field.
func TestCrossCheckGoTDXGuest(t *testing.T) {
	for _, v := range realVectors {
		t.Run(v.name, func(t *testing.T) {
			b := v.load(t)
			ours, err := quote.Parse(b)
			require.NoError(t, err)
			anyQuote, err := abi.QuoteToProto(ours.Raw)
			require.NoError(t, err)
			theirs, ok := anyQuote.(*pb.QuoteV4)
			require.True(t, ok, "go-tdx-guest parses a v4 quote into *QuoteV4, got %T", anyQuote)
			crossCheck(t, ours, theirs)
		})
	}
}

// TestCrossCheckSyntheticV4 does the same for a marshalled quote, whose
// fields all hold distinct patterns, so a swapped field cannot go unseen.
func TestCrossCheckSyntheticV4(t *testing.T) {
	b, err := syntheticQuote(t, 4, quote.BodyTypeTD10).Marshal()
	require.NoError(t, err)
	ours, err := quote.Parse(b)
	require.NoError(t, err)
	anyQuote, err := abi.QuoteToProto(b)
	require.NoError(t, err)
	crossCheck(t, ours, anyQuote.(*pb.QuoteV4))

	// And back: go-tdx-guest's serializer reproduces our bytes.
	again, err := abi.QuoteToAbiBytes(anyQuote)
	require.NoError(t, err)
	assert.Equal(t, b, again)
}

// crossCheck compares our parse of a v4 quote with go-tdx-guest's.
func crossCheck(t *testing.T, ours *quote.Quote, theirs *pb.QuoteV4) {
	t.Helper()
	h, th := ours.Header, theirs.GetHeader()
	assert.EqualValues(t, h.Version, th.GetVersion())
	assert.EqualValues(t, h.AttestationKeyType, th.GetAttestationKeyType())
	assert.Equal(t, h.TEEType, th.GetTeeType())
	// go-tdx-guest names header bytes 8..9 PceSvn and 10..11 QeSvn; Intel's
	// layout has QE_SVN first. Compare by position.
	svns := binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, h.QESVN), h.PCESVN)
	assert.Equal(t, svns, append(bytes.Clone(th.GetPceSvn()), th.GetQeSvn()...))
	assert.Equal(t, h.QEVendorID[:], th.GetQeVendorId())
	assert.Equal(t, h.UserData[:], th.GetUserData())

	bd, tb := ours.Body, theirs.GetTdQuoteBody()
	assert.Equal(t, bd.TEETCBSVN[:], tb.GetTeeTcbSvn())
	assert.Equal(t, bd.MRSEAM[:], tb.GetMrSeam())
	assert.Equal(t, bd.MRSignerSEAM[:], tb.GetMrSignerSeam())
	assert.Equal(t, bd.SEAMAttributes[:], tb.GetSeamAttributes())
	assert.Equal(t, bd.TDAttributes[:], tb.GetTdAttributes())
	assert.Equal(t, bd.XFAM[:], tb.GetXfam())
	assert.Equal(t, bd.MRTD[:], tb.GetMrTd())
	assert.Equal(t, bd.MRConfigID[:], tb.GetMrConfigId())
	assert.Equal(t, bd.MROwner[:], tb.GetMrOwner())
	assert.Equal(t, bd.MROwnerConfig[:], tb.GetMrOwnerConfig())
	require.Len(t, tb.GetRtmrs(), 4)
	for i := range bd.RTMR {
		assert.Equal(t, bd.RTMR[i][:], tb.GetRtmrs()[i], "RTMR%d", i)
	}
	assert.Equal(t, bd.ReportData[:], tb.GetReportData())

	sd := theirs.GetSignedData()
	assert.EqualValues(t, len(ours.Raw)-len(ours.SignedData)-4, theirs.GetSignedDataSize())
	assert.Equal(t, ours.Signature[:], sd.GetSignature())
	assert.Equal(t, ours.AttestationKey[:], sd.GetEcdsaAttestationKey())
	cd := sd.GetCertificationData()
	assert.EqualValues(t, quote.CertDataTypeQEReport, cd.GetCertificateDataType())
	qcd := cd.GetQeReportCertificationData()

	r, tr := ours.QEReport, qcd.GetQeReport()
	assert.Equal(t, r.CPUSVN[:], tr.GetCpuSvn())
	assert.Equal(t, r.MiscSelect, tr.GetMiscSelect())
	assert.Equal(t, r.Attributes[:], tr.GetAttributes())
	assert.Equal(t, r.MREnclave[:], tr.GetMrEnclave())
	assert.Equal(t, r.MRSigner[:], tr.GetMrSigner())
	assert.EqualValues(t, r.ISVProdID, tr.GetIsvProdId())
	assert.EqualValues(t, r.ISVSVN, tr.GetIsvSvn())
	assert.Equal(t, r.ReportData[:], tr.GetReportData())
	for i, reserved := range [][]byte{tr.GetReserved1(), tr.GetReserved2(), tr.GetReserved3(), tr.GetReserved4()} {
		assert.Equal(t, make([]byte, len(reserved)), reserved, "reserved%d", i+1)
	}
	theirReport, err := abi.EnclaveReportToAbiBytes(tr)
	require.NoError(t, err)
	assert.Equal(t, r.Marshal(), theirReport)

	assert.Equal(t, ours.QEReportSignature[:], qcd.GetQeReportSignature())
	assert.Equal(t, nilIfEmpty(ours.QEAuthData), nilIfEmpty(qcd.GetQeAuthData().GetData()))
	pck := qcd.GetPckCertificateChainData()
	assert.EqualValues(t, quote.CertDataTypePCKChain, pck.GetCertificateDataType())
	assert.Equal(t, ours.PCKChainPEM, bytes.TrimRight(pck.GetPckCertChain(), "\x00"))
}
