package cvmtest_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// checkSignatures verifies both signatures and the attestation key binding
// of a parsed quote against p, reporting each separately.
func checkSignatures(t *testing.T, p *cvmtest.PKI, q *quote.Quote) (quoteSig, qeSig, binding bool) {
	t.Helper()
	quoteSig = verifyRaw(rawKey(t, q.AttestationKey[:]), q.SignedData, q.Signature[:])
	qeSig = verifyRaw(&p.PCKKey.PublicKey, q.QEReportRaw, q.QEReportSignature[:])
	want := sha256.Sum256(append(append([]byte(nil), q.AttestationKey[:]...), q.QEAuthData...))
	binding = bytes.Equal(q.QEReport.ReportData[:32], want[:]) && [32]byte(q.QEReport.ReportData[32:]) == [32]byte{}
	return quoteSig, qeSig, binding
}

func TestDefaultQuote(t *testing.T) {
	p := mustDefaultPKI(t)
	raw, err := p.Quote(cvmtest.QuoteOptions{})
	require.NoError(t, err)
	q, err := quote.Parse(raw)
	require.NoError(t, err)

	assert.Equal(t, raw, q.Raw, "no padding by default")
	assert.Equal(t, uint16(quote.Version4), q.Header.Version)
	assert.Equal(t, uint16(quote.AttestationKeyTypeECDSAP256), q.Header.AttestationKeyType)
	assert.Equal(t, uint32(quote.TEETypeTDX), q.Header.TEEType)
	assert.Equal(t, quote.IntelQEVendorID, q.Header.QEVendorID)
	assert.Equal(t, p.Extensions.TCB.PCESVN, q.Header.PCESVN)
	assert.Equal(t, uint16(quote.BodyTypeTD10), q.BodyType)

	up, err := cvmtest.PlatformFor("UpToDate")
	require.NoError(t, err)
	mod, err := cvmtest.ModuleFor("UpToDate")
	require.NoError(t, err)
	qe, err := cvmtest.QEFor("UpToDate")
	require.NoError(t, err)
	assert.Equal(t, up.TEETCBSVN, q.Body.TEETCBSVN)
	assert.Equal(t, mod.TEETCBSVN, q.Body.TEETCBSVN)
	assert.Equal(t, qe.ISVSVN, q.QEReport.ISVSVN)
	assert.Equal(t, qe.ISVSVN, q.Header.QESVN)
	assert.Equal(t, cvmtest.DefaultQEMRSigner, q.QEReport.MRSigner)
	assert.Equal(t, uint16(cvmtest.DefaultQEISVProdID), q.QEReport.ISVProdID)
	assert.Equal(t, cvmtest.DefaultQEAttributes, q.QEReport.Attributes)
	assert.Equal(t, p.Extensions.TCB.CPUSVN, q.QEReport.CPUSVN)
	assert.Equal(t, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}, q.QEAuthData)
	assert.Equal(t, p.PCKChainPEM, q.PCKChainPEM)
	chain, err := q.PCKChain()
	require.NoError(t, err)
	assert.Equal(t, []byte(p.PCK.Raw), []byte(chain[0].Raw))

	quoteSig, qeSig, binding := checkSignatures(t, p, q)
	assert.True(t, quoteSig, "quote signature by the attestation key")
	assert.True(t, qeSig, "QE report signature by the PCK key")
	assert.True(t, binding, "QE report data binds the attestation key and QE auth data")

	again, err := p.Quote(cvmtest.QuoteOptions{})
	require.NoError(t, err)
	assert.Equal(t, raw, again, "quotes are deterministic")
}

func TestQuoteOptions(t *testing.T) {
	p := mustDefaultPKI(t)
	var rd [64]byte
	for i := range rd {
		rd[i] = byte(i + 1)
	}
	measure := func(b byte) (m [48]byte) {
		for i := range m {
			m[i] = b
		}
		return m
	}
	tests := []struct {
		name     string
		opts     cvmtest.QuoteOptions
		version  uint16
		bodyType uint16
		check    func(t *testing.T, q *quote.Quote)
	}{
		{"v4 measurements", cvmtest.QuoteOptions{
			ReportData: rd, MRTD: measure(1), RTMRs: [4][48]byte{measure(2), measure(3), measure(4), measure(5)},
			MRConfigID: measure(6), MROwner: measure(7), MROwnerConfig: measure(8), MRSEAM: measure(9),
			TDAttributes: [8]byte{0, 0, 0, 0x10}, XFAM: [8]byte{0xe7, 0x1a, 0x06}, SEAMAttributes: [8]byte{1},
			UserData: [20]byte{0xaa},
		}, quote.Version4, quote.BodyTypeTD10, func(t *testing.T, q *quote.Quote) {
			assert.Equal(t, rd, q.Body.ReportData)
			assert.Equal(t, measure(1), q.Body.MRTD)
			assert.Equal(t, [4][48]byte{measure(2), measure(3), measure(4), measure(5)}, q.Body.RTMR)
			assert.Equal(t, measure(6), q.Body.MRConfigID)
			assert.Equal(t, measure(7), q.Body.MROwner)
			assert.Equal(t, measure(8), q.Body.MROwnerConfig)
			assert.Equal(t, measure(9), q.Body.MRSEAM)
			assert.True(t, q.Body.SEPTVEDisable())
			assert.False(t, q.Body.Debug())
			assert.Equal(t, [8]byte{0xe7, 0x1a, 0x06}, q.Body.XFAM)
			assert.Equal(t, [8]byte{1}, q.Body.SEAMAttributes)
			assert.Equal(t, [20]byte{0xaa}, q.Header.UserData)
		}},
		{"v5 defaults to TD 1.5", cvmtest.QuoteOptions{Version: quote.Version5, MRServiceTD: measure(0xee)},
			quote.Version5, quote.BodyTypeTD15, func(t *testing.T, q *quote.Quote) {
				assert.Equal(t, q.Body.TEETCBSVN, q.Body.TEETCBSVN2, "TEE_TCB_SVN2 defaults to TEE_TCB_SVN")
				assert.Equal(t, measure(0xee), q.Body.MRServiceTD)
			}},
		{"v5 TD 1.5 relaunch", cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD15, TEETCBSVN2: [16]byte{2, 1, 6}},
			quote.Version5, quote.BodyTypeTD15, func(t *testing.T, q *quote.Quote) {
				assert.Equal(t, [16]byte{2, 1, 6}, q.Body.TEETCBSVN2)
			}},
		{"v5 TD 1.0", cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD10, ReportData: rd},
			quote.Version5, quote.BodyTypeTD10, func(t *testing.T, q *quote.Quote) {
				assert.Equal(t, rd, q.Body.ReportData)
				assert.Equal(t, [16]byte{}, q.Body.TEETCBSVN2)
			}},
		{"QE fields", cvmtest.QuoteOptions{
			QESVN: 2, QEMRSigner: [32]byte{1}, QEISVProdID: 9, QEAttributes: [16]byte{0x15},
			QEMiscSelect: 7, QEMREnclave: [32]byte{5}, QECPUSVN: [16]byte{3}, TEETCBSVN: [16]byte{2, 1, 5},
		}, quote.Version4, quote.BodyTypeTD10, func(t *testing.T, q *quote.Quote) {
			assert.Equal(t, uint16(2), q.QEReport.ISVSVN)
			assert.Equal(t, uint16(2), q.Header.QESVN)
			assert.Equal(t, [32]byte{1}, q.QEReport.MRSigner)
			assert.Equal(t, uint16(9), q.QEReport.ISVProdID)
			assert.Equal(t, [16]byte{0x15}, q.QEReport.Attributes)
			assert.Equal(t, uint32(7), q.QEReport.MiscSelect)
			assert.Equal(t, [32]byte{5}, q.QEReport.MREnclave)
			assert.Equal(t, [16]byte{3}, q.QEReport.CPUSVN)
			assert.Equal(t, [16]byte{2, 1, 5}, q.Body.TEETCBSVN)
		}},
		{"no QE auth data", cvmtest.QuoteOptions{QEAuthData: []byte{}}, quote.Version4, quote.BodyTypeTD10,
			func(t *testing.T, q *quote.Quote) { assert.Empty(t, q.QEAuthData) }},
		{"long QE auth data", cvmtest.QuoteOptions{QEAuthData: bytes.Repeat([]byte{0xab}, 4000)}, quote.Version4, quote.BodyTypeTD10,
			func(t *testing.T, q *quote.Quote) { assert.Equal(t, bytes.Repeat([]byte{0xab}, 4000), q.QEAuthData) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, padding := range []int{0, 70} {
				opts := tt.opts
				opts.Padding = padding
				raw, err := p.Quote(opts)
				require.NoError(t, err)
				q, err := quote.Parse(raw)
				require.NoError(t, err)
				assert.Len(t, raw, len(q.Raw)+padding)
				assert.Equal(t, make([]byte, padding), raw[len(q.Raw):])
				assert.Equal(t, tt.version, q.Header.Version)
				assert.Equal(t, tt.bodyType, q.BodyType)
				quoteSig, qeSig, binding := checkSignatures(t, p, q)
				assert.True(t, quoteSig && qeSig && binding, "signatures %v %v binding %v", quoteSig, qeSig, binding)
				tt.check(t, q)
			}
		})
	}
}

func TestQuoteInvalidOptions(t *testing.T) {
	p := mustDefaultPKI(t)
	tests := []struct {
		name string
		opts cvmtest.QuoteOptions
		want string
	}{
		{"version 3", cvmtest.QuoteOptions{Version: 3}, "Version: expected 4 or 5, found 3"},
		{"v4 with TD 1.5 body", cvmtest.QuoteOptions{BodyType: quote.BodyTypeTD15}, "BodyType"},
		{"v5 unknown body", cvmtest.QuoteOptions{Version: quote.Version5, BodyType: 1}, "BodyType: expected 2 or 3, found 1"},
		{"TD 1.0 with SVN2", cvmtest.QuoteOptions{TEETCBSVN2: [16]byte{1}}, "TEETCBSVN2"},
		{"TD 1.0 with service TD", cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD10, MRServiceTD: [48]byte{1}}, "MRServiceTD"},
		{"huge QE auth data", cvmtest.QuoteOptions{QEAuthData: make([]byte, 1<<16)}, "QEAuthData: expected at most 65535 bytes"},
		{"negative padding", cvmtest.QuoteOptions{Padding: -1}, "Padding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := p.Quote(tt.opts)
			require.Error(t, err)
			assert.Nil(t, raw)
			assert.ErrorIs(t, err, cvmtest.ErrInvalidOptions)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestResign(t *testing.T) {
	p := mustDefaultPKI(t)
	other := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("other")})
	tests := []struct {
		name                       string
		tamper                     func(q *quote.Quote)
		resign                     bool
		quoteSig, qeSig, bindingOK bool
	}{
		{"untouched and resigned", func(q *quote.Quote) {}, true, true, true, true},
		{"MRTD changed, resigned", func(q *quote.Quote) { q.Body.MRTD[0] ^= 1 }, true, true, true, true},
		{"MRTD changed, not resigned", func(q *quote.Quote) { q.Body.MRTD[0] ^= 1 }, false, false, true, true},
		{"QE report changed, not resigned", func(q *quote.Quote) { q.QEReport.ISVSVN++ }, false, true, false, true},
		{"attestation key swapped, resigned", func(q *quote.Quote) {
			q.AttestationKey = publicRaw(other)
		}, true, false, true, false},
		{"QE auth data changed, resigned", func(q *quote.Quote) { q.QEAuthData = []byte("other") }, true, true, true, false},
		{"QE auth data changed, bound and resigned", func(q *quote.Quote) {
			q.QEAuthData = []byte("other")
			cvmtest.BindQEReport(q)
		}, true, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := p.QuoteStruct(cvmtest.QuoteOptions{})
			require.NoError(t, err)
			tt.tamper(q)
			var raw []byte
			if tt.resign {
				raw, err = p.Resign(q)
			} else {
				raw, err = q.Marshal()
			}
			require.NoError(t, err)
			parsed, err := quote.Parse(raw)
			require.NoError(t, err)
			quoteSig, qeSig, binding := checkSignatures(t, p, parsed)
			assert.Equal(t, tt.quoteSig, quoteSig, "quote signature valid")
			assert.Equal(t, tt.qeSig, qeSig, "QE report signature valid")
			assert.Equal(t, tt.bindingOK, binding, "attestation key bound")
		})
	}
}

func TestResignRejectsUnknownLayout(t *testing.T) {
	p := mustDefaultPKI(t)
	q, err := p.QuoteStruct(cvmtest.QuoteOptions{})
	require.NoError(t, err)
	q.Header.Version = 3
	raw, err := p.Resign(q)
	assert.Nil(t, raw)
	assert.ErrorIs(t, err, quote.ErrUnsupported)
	var e *cvmtest.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "marshal quote", e.Op)
}

// publicRaw is the raw x || y attestation key of p.
func publicRaw(p *cvmtest.PKI) [64]byte {
	b, err := p.AttestationKey.PublicKey.Bytes()
	if err != nil || len(b) != 65 {
		return [64]byte{}
	}
	var out [64]byte
	copy(out[:], b[1:])
	return out
}

// FuzzQuote builds quotes from arbitrary option values and checks that
// each parses back to those values with valid signatures.
func FuzzQuote(f *testing.F) {
	f.Add([]byte("report data"), []byte("auth"), uint8(0), uint8(0), uint16(0), uint8(0))
	f.Add([]byte{}, []byte{}, uint8(5), uint8(3), uint16(7), uint8(70))
	f.Add(bytes.Repeat([]byte{0xff}, 80), bytes.Repeat([]byte{1}, 300), uint8(5), uint8(2), uint16(0xffff), uint8(255))
	p := mustDefaultPKI(f)
	f.Fuzz(func(t *testing.T, data, auth []byte, version, bodyType uint8, qeSVN uint16, padding uint8) {
		opts := cvmtest.QuoteOptions{
			Version:    uint16(version),
			BodyType:   uint16(bodyType),
			QEAuthData: auth,
			QESVN:      qeSVN,
			Padding:    int(padding),
		}
		copy(opts.ReportData[:], data)
		copy(opts.MRTD[:], data)
		raw, err := p.Quote(opts)
		if err != nil {
			require.ErrorIs(t, err, cvmtest.ErrInvalidOptions)
			return
		}
		q, err := quote.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, opts.ReportData, q.Body.ReportData)
		assert.Equal(t, opts.MRTD, q.Body.MRTD)
		if auth != nil {
			assert.Equal(t, len(auth), len(q.QEAuthData))
		}
		assert.Len(t, raw, len(q.Raw)+int(padding))
		quoteSig, qeSig, binding := checkSignatures(t, p, q)
		assert.True(t, quoteSig && qeSig && binding)
	})
}

func BenchmarkNewPKI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cvmtest.NewPKI(cvmtest.PKIOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuote(b *testing.B) {
	p := mustDefaultPKI(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Quote(cvmtest.QuoteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
