package quote_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// realVector describes a real-hardware quote and values read off it by
// hand (with a hex dump), to check the parser against.
type realVector struct {
	name string
	load func(testing.TB) []byte
	// rawLen is the quote length without padding; padding the number of
	// zero bytes after it.
	rawLen, padding int
	userData        string // first 16 bytes of the header user data
	teeTCBSVN       string
	mrtd            string
	rtmr3Prefix     string
	reportData      string // prefix
	tdAttributes    string
	sepTVEDisable   bool
	qeISVSVN        uint16
	qeCPUSVN        string
}

// realVectors lists the real quotes: those in testdata/vectors, and
// go-tdx-guest's embedded SPR quote cut before its non-zero test trailer
// (see TestParseGoTDXGuestTrailer).
var realVectors = []realVector{
	{
		name:          "dcap-qvl tdx_quote",
		load:          func(tb testing.TB) []byte { return testvectors.Quote(tb, "dcap-qvl/tdx_quote") },
		rawLen:        4936,
		padding:       70,
		userData:      "889b7d6ff9df2405b240a830e73faf3d",
		teeTCBSVN:     "06010300000000000000000000000000",
		mrtd:          "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
		rtmr3Prefix:   "000000000000000000000000",
		reportData:    "9a9d48e7f6799642d3d1b34e1e5e1742",
		tdAttributes:  "0000001000000000",
		sepTVEDisable: true,
		qeISVSVN:      6,
		qeCPUSVN:      "0303191b04ff00060000000000000000",
	},
	{
		name:          "dstack quote-report.json",
		load:          func(tb testing.TB) []byte { return testvectors.Quote(tb, "dstack/quote-report.json") },
		rawLen:        4936,
		padding:       70,
		userData:      "1eadadc7f30fb7f911d24aa522afc590",
		teeTCBSVN:     "0b010400000000000000000000000000",
		mrtd:          "b24d3b24e9e3c16012376b52362ca09856c4adecb709d5fac33addf1c47e193da075b125b6c364115771390a5461e217",
		rtmr3Prefix:   "0f787c3877f3e950",
		reportData:    "12340000000000000000000000000000",
		tdAttributes:  "0000001000000000",
		sepTVEDisable: true,
		qeISVSVN:      6,
		qeCPUSVN:      "0404191b04ff00060000000000000000",
	},
	{
		name:          "dstack tdx-lite-getquote.json",
		load:          func(tb testing.TB) []byte { return testvectors.Quote(tb, "dstack/tdx-lite-getquote.json") },
		rawLen:        4936,
		padding:       70,
		userData:      "1026ff2bbebac59cc1ef911279d9481b",
		teeTCBSVN:     "0c010400000000000000000000000000",
		mrtd:          "fd685522ce791dfef67414614eb07d03fc07a32c5a66f36288b329dab92b724b1564c73d436ffb9ea84488c51ac5a1c5",
		rtmr3Prefix:   "6f24c170d0fd63fc",
		reportData:    "646970313a3a736563703235366b3163", // "dip1::secp256k1c"
		tdAttributes:  "0000001000000000",
		sepTVEDisable: true,
		qeISVSVN:      6,
		qeCPUSVN:      "0404191b04ff00060000000000000000",
	},
	{
		name:          "go-tdx-guest SPR quote",
		load:          func(testing.TB) []byte { return testdata.RawQuote[:goTDXGuestQuoteLen] },
		rawLen:        goTDXGuestQuoteLen,
		userData:      "739c3f292a15bace1f726351a70d4b79",
		teeTCBSVN:     "03000400000000000000000000000000",
		mrtd:          "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb",
		rtmr3Prefix:   "000000000000000000000000",
		reportData:    "6c62dec1b8191749a31dab490be532a3",
		tdAttributes:  "0000004000000000",
		sepTVEDisable: false,
		qeISVSVN:      4,
		qeCPUSVN:      "04040d0f03ff00030000000000000000",
	},
}

// goTDXGuestQuoteLen is where the go-tdx-guest quote ends and its
// "extra bytes(only for testing purpose)" trailer starts.
const goTDXGuestQuoteLen = 4935

func TestParseRealVectors(t *testing.T) {
	for _, v := range realVectors {
		t.Run(v.name, func(t *testing.T) {
			b := v.load(t)
			require.Len(t, b, v.rawLen+v.padding)
			q, err := quote.Parse(b)
			require.NoError(t, err)

			h := q.Header
			assert.EqualValues(t, quote.Version4, h.Version)
			assert.EqualValues(t, quote.AttestationKeyTypeECDSAP256, h.AttestationKeyType)
			assert.EqualValues(t, quote.TEETypeTDX, h.TEEType)
			assert.Zero(t, h.QESVN)
			assert.Zero(t, h.PCESVN)
			assert.Equal(t, quote.IntelQEVendorID, h.QEVendorID)
			assert.Equal(t, v.userData, hex.EncodeToString(h.UserData[:16]))
			assert.Equal(t, make([]byte, 4), h.UserData[16:], "user data ends in 4 zero bytes")

			assert.EqualValues(t, quote.BodyTypeTD10, q.BodyType)
			body := q.Body
			assert.Equal(t, v.teeTCBSVN, hex.EncodeToString(body.TEETCBSVN[:]))
			assert.Equal(t, v.mrtd, hex.EncodeToString(body.MRTD[:]))
			assert.Equal(t, v.rtmr3Prefix, hex.EncodeToString(body.RTMR[3][:len(v.rtmr3Prefix)/2]))
			assert.Equal(t, v.reportData, hex.EncodeToString(body.ReportData[:len(v.reportData)/2]))
			assert.Equal(t, v.tdAttributes, hex.EncodeToString(body.TDAttributes[:]))
			assert.False(t, body.Debug(), "production TD")
			assert.Equal(t, v.sepTVEDisable, body.SEPTVEDisable())
			assert.Equal(t, [48]byte{}, body.MRSignerSEAM, "Intel TDX module")
			assert.Equal(t, [16]byte{}, body.TEETCBSVN2, "TD 1.0 body")

			// Intel's TDX quoting enclave: product 2, Intel's MRSIGNER.
			qe := q.QEReport
			assert.EqualValues(t, 2, qe.ISVProdID)
			assert.Equal(t, v.qeISVSVN, qe.ISVSVN)
			assert.Equal(t, v.qeCPUSVN, hex.EncodeToString(qe.CPUSVN[:]))
			assert.Equal(t, "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5", hex.EncodeToString(qe.MRSigner[:]))
			assert.Equal(t, "1500000000000000e700000000000000", hex.EncodeToString(qe.Attributes[:]))
			assert.Equal(t, fill(0, 32), q.QEAuthData, "Intel's QE auth data is 00 01 .. 1f")

			assert.Len(t, q.Raw, v.rawLen)
			assert.Equal(t, b[:quote.HeaderSize+quote.BodySizeTD10], q.SignedData)
			assert.Equal(t, b[4+quote.HeaderSize+quote.BodySizeTD10+quote.SignatureSize+quote.PublicKeySize+6:][:quote.EnclaveReportSize], q.QEReportRaw)
			assert.Equal(t, q.QEReportRaw, q.QEReport.Marshal(), "reserved QE report fields are zero")
			assert.NotContains(t, string(q.PCKChainPEM), "\x00")
			assert.True(t, bytes.HasSuffix(q.PCKChainPEM, []byte("-----END CERTIFICATE-----\n")))

			chain, err := q.PCKChain()
			require.NoError(t, err)
			require.Len(t, chain, 3)
			assert.Equal(t, "Intel SGX PCK Certificate", chain[0].Subject.CommonName)
			assert.Equal(t, "Intel SGX PCK Platform CA", chain[1].Subject.CommonName)
			assert.Equal(t, "Intel SGX Root CA", chain[2].Subject.CommonName)

			// Re-encoding reproduces the signed bytes exactly, and the
			// whole quote parses back to the same value.
			assert.Equal(t, q.SignedData, q.MarshalSignedData())
			again, err := q.Marshal()
			require.NoError(t, err)
			q2, err := quote.Parse(again)
			require.NoError(t, err)
			assert.Equal(t, stripDerived(q), stripDerived(q2))
		})
	}
}

// stripDerived returns a copy of q without the byte ranges Parse derives
// from the input (Raw, SignedData, QEReportRaw).
func stripDerived(q *quote.Quote) quote.Quote {
	c := *q
	c.Raw, c.SignedData, c.QEReportRaw = nil, nil, nil
	return c
}

// TestParseGoTDXGuestTrailer shows that the go-tdx-guest test quote, which
// carries a non-zero ASCII trailer after its end, is refused as it stands.
func TestParseGoTDXGuestTrailer(t *testing.T) {
	raw := testdata.RawQuote
	require.Greater(t, len(raw), goTDXGuestQuoteLen)
	require.Equal(t, "\nextra bytes(only for testing purpose)\n", string(raw[goTDXGuestQuoteLen:]))

	_, err := quote.Parse(raw)
	var fe *quote.FormatError
	require.ErrorAs(t, err, &fe)
	assert.True(t, errors.Is(err, quote.ErrMalformed))
	assert.Equal(t, "trailing data", fe.Field)
	assert.Equal(t, goTDXGuestQuoteLen, fe.Offset)
	assert.Equal(t, "byte 0x0a", fe.Found)
}

func TestParseHexVector(t *testing.T) {
	b := testvectors.Quote(t, "dcap-qvl/tdx_quote")
	want, err := quote.Parse(b)
	require.NoError(t, err)

	for name, text := range map[string]string{
		"plain":      hex.EncodeToString(b),
		"0x prefix":  "0x" + hex.EncodeToString(b),
		"upper case": "0X" + strings.ToUpper(hex.EncodeToString(b)),
		"wrapped":    wrap(hex.EncodeToString(b), 64),
	} {
		t.Run(name, func(t *testing.T) {
			q, err := quote.ParseHex(text)
			require.NoError(t, err)
			assert.Equal(t, stripDerived(want), stripDerived(q))
			assert.Equal(t, want.Raw, q.Raw)
		})
	}
}

// wrap breaks s into lines of n characters with surrounding whitespace.
func wrap(s string, n int) string {
	var out bytes.Buffer
	out.WriteString("  \n")
	for len(s) > n {
		out.WriteString(s[:n] + "\r\n\t")
		s = s[n:]
	}
	out.WriteString(s + "\n")
	return out.String()
}
