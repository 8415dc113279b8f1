package conformance_test

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// Offsets in a serialized v4 quote (header, TD 1.0 body, signature data).
const (
	offVersion     = 0
	offKeyType     = 2
	offTEEType     = 4
	offVendor      = 12
	offUserData    = 28
	offBody        = quote.HeaderSize
	offRTMR3       = offBody + 472
	offReportData  = offBody + 520
	offSigDataLen  = offBody + quote.BodySizeTD10
	offSignature   = offSigDataLen + 4
	offQEReport    = offSignature + 2*64 + 6
	offQEISVSVN    = offQEReport + 258
	offQEReportSig = offQEReport + quote.EnclaveReportSize
	offAuthDataLen = offQEReportSig + 64
	offPCKDataLen  = offAuthDataLen + 2 + 32 + 2
	// In a v5 quote the body type and body size follow the header.
	offV5BodyType = quote.HeaderSize
	offV5BodySize = quote.HeaderSize + 2
)

// le16 and le32 are little-endian encodings.
func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// onBase verifies a quote of the base platform, made by mk, with the
// base verifier.
func onBase(mk func(t *testing.T) []byte) func(t *testing.T) error {
	return func(t *testing.T) error { return verifyQuote(baseVerifier(t), mk(t)) }
}

// defaultQuote is the base platform's default quote.
func defaultQuote(t *testing.T) []byte { return baseQuote(t, cvmtest.QuoteOptions{}) }

// flipped returns raw with the byte at off inverted.
func flipped(raw []byte, off int) []byte { return patched(raw, off, ^raw[off]) }

// onPlatform verifies the default quote of a PKI made with opts, with
// collateral made by coll for it (the default collateral when nil), by a
// verifier trusting its root.
func onPlatform(opts cvmtest.PKIOptions, q cvmtest.QuoteOptions, coll *cvmtest.CollateralOptions) func(t *testing.T) error {
	return func(t *testing.T) error {
		p := cvmtest.MustPKI(t, opts)
		co := cvmtest.CollateralOptions{}
		if coll != nil {
			co = *coll
		}
		c, err := p.Collateral(co)
		require.NoError(t, err)
		raw, err := p.Quote(q)
		require.NoError(t, err)
		return verifyQuote(verifierFor(t, p, c), raw)
	}
}

// statusQuote verifies a quote the default collateral rates status on a
// platform the default collateral rates platformStatus.
func statusQuote(platformStatus string, q func(*cvmtest.QuoteOptions)) func(t *testing.T) error {
	return func(t *testing.T) error {
		plat, err := cvmtest.PlatformFor(platformStatus)
		require.NoError(t, err)
		opts := cvmtest.QuoteOptions{TEETCBSVN: plat.TEETCBSVN}
		if q != nil {
			q(&opts)
		}
		return onPlatform(cvmtest.PKIOptions{TCB: &plat.PCK}, opts, nil)(t)
	}
}

// quoteCases are quotes a hostile platform or network could send: broken
// framing, unsupported formats, tampered signatures, forged chains, and
// genuine quotes of TDs or platforms the default acceptance refuses.
func quoteCases() []hostileCase {
	return []hostileCase{
		{"quote/empty", verify.KindMalformedQuote, "", onBase(func(*testing.T) []byte { return nil })},
		{"quote/truncated in the header", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte { return defaultQuote(t)[:40] })},
		{"quote/truncated in the PCK chain", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte {
			raw := defaultQuote(t)
			return raw[:len(raw)-200]
		})},
		{"quote/version 3", verify.KindUnsupportedQuote, "", onBase(func(t *testing.T) []byte { return patched(defaultQuote(t), offVersion, le16(3)...) })},
		{"quote/SGX enclave quote (TEE type 0)", verify.KindUnsupportedQuote, "", onBase(func(t *testing.T) []byte { return patched(defaultQuote(t), offTEEType, le32(0)...) })},
		{"quote/attestation key type not ECDSA P-256", verify.KindUnsupportedQuote, "", onBase(func(t *testing.T) []byte { return patched(defaultQuote(t), offKeyType, le16(3)...) })},
		{"quote/QE vendor not Intel", verify.KindUnsupportedQuote, "", onBase(func(t *testing.T) []byte {
			return patched(defaultQuote(t), offVendor, bytes.Repeat([]byte{0xee}, 16)...)
		})},
		{"quote/v5 body size lies", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte {
			return patched(baseQuote(t, cvmtest.QuoteOptions{Version: quote.Version5}), offV5BodySize, le32(quote.BodySizeTD10)...)
		})},
		{"quote/v5 body type of an SGX enclave", verify.KindUnsupportedQuote, "", onBase(func(t *testing.T) []byte {
			return patched(baseQuote(t, cvmtest.QuoteOptions{Version: quote.Version5}), offV5BodyType, le16(1)...)
		})},
		{"quote/signature data length past the end", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte {
			return patched(defaultQuote(t), offSigDataLen, le32(1<<30)...)
		})},
		{"quote/QE auth data length lies", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte { return patched(defaultQuote(t), offAuthDataLen, le16(0xffff)...) })},
		{"quote/PCK chain length lies", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte {
			raw := defaultQuote(t)
			n := binary.LittleEndian.Uint32(raw[offPCKDataLen:])
			return patched(raw, offPCKDataLen, le32(n+1000)...)
		})},
		{"quote/unsigned bytes after the quote", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte {
			raw := baseQuote(t, cvmtest.QuoteOptions{Padding: 70})
			return patched(raw, len(raw)-1, 1)
		})},
		{"quote/over 64 KiB with its padding", verify.KindMalformedQuote, "", onBase(func(t *testing.T) []byte {
			return baseQuote(t, cvmtest.QuoteOptions{Padding: quote.MaxQuoteSize})
		})},
		{"quote/RTMR3 changed after signing", verify.KindQuoteSignature, "", onBase(func(t *testing.T) []byte { return flipped(defaultQuote(t), offRTMR3) })},
		{"quote/REPORTDATA changed after signing", verify.KindQuoteSignature, "", onBase(func(t *testing.T) []byte { return flipped(defaultQuote(t), offReportData) })},
		{"quote/header user data changed after signing", verify.KindQuoteSignature, "", onBase(func(t *testing.T) []byte { return flipped(defaultQuote(t), offUserData) })},
		{"quote/signature of another quote", verify.KindQuoteSignature, "", onBase(func(t *testing.T) []byte {
			other := baseQuote(t, cvmtest.QuoteOptions{ReportData: [64]byte{1}})
			return patched(defaultQuote(t), offSignature, other[offSignature:offSignature+64]...)
		})},
		{"quote/QE report signature flipped", verify.KindQEReportSignature, "", onBase(func(t *testing.T) []byte { return flipped(defaultQuote(t), offQEReportSig+5) })},
		{"quote/QE report ISVSVN changed after signing", verify.KindQEReportSignature, "", onBase(func(t *testing.T) []byte { return flipped(defaultQuote(t), offQEISVSVN) })},
		{"quote/attestation key the QE did not vouch for", verify.KindQEReportBinding, "", onBase(func(t *testing.T) []byte {
			other := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("another platform")})
			oq, err := other.QuoteStruct(cvmtest.QuoteOptions{})
			require.NoError(t, err)
			return resigned(t, cvmtest.QuoteOptions{}, func(q *quote.Quote) { q.AttestationKey = oq.AttestationKey })
		})},
		{"quote/QE auth data swapped", verify.KindQEReportBinding, "", onBase(func(t *testing.T) []byte {
			return resigned(t, cvmtest.QuoteOptions{}, func(q *quote.Quote) { q.QEAuthData = []byte("another QE's auth data") })
		})},
		{"quote/upper half of the QE report data not zero", verify.KindQEReportBinding, "", onBase(func(t *testing.T) []byte {
			return resigned(t, cvmtest.QuoteOptions{}, func(q *quote.Quote) { q.QEReport.ReportData[63] = 1 })
		})},
		{"quote/PCK chain of an untrusted root", verify.KindUntrustedRoot, "", onBase(func(t *testing.T) []byte {
			raw, err := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("not Intel")}).Quote(cvmtest.QuoteOptions{})
			require.NoError(t, err)
			return raw
		})},
		{"quote/PCK chain without its intermediate", verify.KindCertChain, "", onBase(func(t *testing.T) []byte {
			p, _ := platform(t)
			return resigned(t, cvmtest.QuoteOptions{}, func(q *quote.Quote) { q.PCKChainPEM = pemOf(p.PCK, p.Root) })
		})},
		// The root position is judged first, by exact DER: a reordered
		// chain has the leaf there, which no one trusts as a root.
		{"quote/PCK chain in the wrong order", verify.KindUntrustedRoot, "", onBase(func(t *testing.T) []byte {
			p, _ := platform(t)
			return resigned(t, cvmtest.QuoteOptions{}, func(q *quote.Quote) { q.PCKChainPEM = pemOf(p.Root, p.Intermediate, p.PCK) })
		})},
		{"quote/PCK chain that is not PEM", verify.KindCertChain, "", onBase(func(t *testing.T) []byte {
			return resigned(t, cvmtest.QuoteOptions{}, func(q *quote.Quote) { q.PCKChainPEM = []byte("-----BEGIN CERTIFICATE-----\nnot base64\n") })
		})},
		{"quote/PCK certificates expired", verify.KindCertChain, "validity", onPlatform(cvmtest.PKIOptions{
			Seed: []byte("expired"), NotBefore: cvmtest.DefaultNotBefore, NotAfter: cvmtest.DefaultNotBefore.AddDate(1, 0, 0),
		}, cvmtest.QuoteOptions{}, nil)},
		{"quote/PCK leaf revoked", verify.KindRevoked, "", func(t *testing.T) error {
			p, _ := platform(t)
			return verifyQuote(verifierFor(t, p, collateralWith(t, cvmtest.CollateralOptions{RevokedPCKSerials: []*big.Int{p.PCK.SerialNumber}})), defaultQuote(t))
		}},
		{"quote/PCK platform CA revoked", verify.KindRevoked, "", func(t *testing.T) error {
			p, _ := platform(t)
			return verifyQuote(verifierFor(t, p, collateralWith(t, cvmtest.CollateralOptions{RevokedRootSerials: []*big.Int{p.Intermediate.SerialNumber}})), defaultQuote(t))
		}},
		{"quote/debug TD", verify.KindDebugTD, "", onBase(func(t *testing.T) []byte {
			attrs := cvmtest.DefaultTDAttributes
			attrs[0] |= 1
			return baseQuote(t, cvmtest.QuoteOptions{TDAttributes: attrs})
		})},
		{"quote/migratable TD", verify.KindTDAttributes, "", onBase(func(t *testing.T) []byte {
			attrs := cvmtest.DefaultTDAttributes
			attrs[3] |= 0x20 // bit 29, MIGRATABLE
			return baseQuote(t, cvmtest.QuoteOptions{TDAttributes: attrs})
		})},
		{"quote/service TD bound", verify.KindServiceTD, "", onBase(func(t *testing.T) []byte {
			return baseQuote(t, cvmtest.QuoteOptions{Version: quote.Version5, MRServiceTD: [48]byte{1}})
		})},
		{"quote/out-of-date platform", verify.KindTCBStatus, "OutOfDate", statusQuote("OutOfDate", nil)},
		{"quote/revoked platform TCB", verify.KindTCBStatus, "Revoked", statusQuote("Revoked", nil)},
		{"quote/out-of-date TDX module", verify.KindTCBStatus, "OutOfDate", statusQuote("UpToDate", func(o *cvmtest.QuoteOptions) {
			m, err := cvmtest.ModuleFor("OutOfDate")
			if err == nil {
				o.TEETCBSVN = m.TEETCBSVN
			}
		})},
		{"quote/platform below every TCB level", verify.KindTCBNotSupported, "", func(t *testing.T) error {
			tcb := cvmtestPlatform(t, "UpToDate").PCK
			tcb.CPUSVNComponents[0] = cvmtest.UnsupportedCPUSVN0
			tcb.CPUSVN[0] = cvmtest.UnsupportedCPUSVN0
			return onPlatform(cvmtest.PKIOptions{TCB: &tcb}, cvmtest.QuoteOptions{}, nil)(t)
		}},
		{"quote/QE below every QE identity level", verify.KindTCBNotSupported, "", onBase(func(t *testing.T) []byte {
			return baseQuote(t, cvmtest.QuoteOptions{QESVN: cvmtest.UnsupportedQESVN})
		})},
		{"quote/unknown TDX module major version", verify.KindTDXModuleMismatch, "", onBase(func(t *testing.T) []byte {
			svn := cvmtestPlatform(t, "UpToDate").TEETCBSVN
			svn[1] = 7
			return baseQuote(t, cvmtest.QuoteOptions{TEETCBSVN: svn})
		})},
		{"quote/TDX module signed by another MRSIGNERSEAM", verify.KindTDXModuleMismatch, "", onBase(func(t *testing.T) []byte {
			return baseQuote(t, cvmtest.QuoteOptions{MRSignerSEAM: [48]byte{0xbb}})
		})},
		{"quote/QE not signed by Intel (MRSIGNER)", verify.KindQEIdentityMismatch, "", onBase(func(t *testing.T) []byte {
			return baseQuote(t, cvmtest.QuoteOptions{QEMRSigner: [32]byte{0xbb}})
		})},
	}
}

// cvmtestPlatform is cvmtest.PlatformFor(status).
func cvmtestPlatform(t *testing.T, status string) cvmtest.Platform {
	t.Helper()
	p, err := cvmtest.PlatformFor(status)
	require.NoError(t, err)
	return p
}
