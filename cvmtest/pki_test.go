package cvmtest_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
)

func TestNewPKIIsDeterministic(t *testing.T) {
	a := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("seed A")})
	again := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("seed A")})
	b := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("seed B")})

	for _, pair := range []struct {
		name         string
		a, again, b  *x509.Certificate
		sameAcrossIt bool
	}{
		{"root", a.Root, again.Root, b.Root, false},
		{"intermediate", a.Intermediate, again.Intermediate, b.Intermediate, false},
		{"pck", a.PCK, again.PCK, b.PCK, false},
		{"tcb signing", a.TCBSigning, again.TCBSigning, b.TCBSigning, false},
	} {
		t.Run(pair.name, func(t *testing.T) {
			assert.Equal(t, pair.a.Raw, pair.again.Raw, "same seed must give the same certificate")
			assert.NotEqual(t, pair.a.Raw, pair.b.Raw, "another seed must give another certificate")
			assert.NotEqual(t, pair.a.SerialNumber, pair.b.SerialNumber)
		})
	}
	assert.True(t, a.AttestationKey.Equal(again.AttestationKey))
	assert.False(t, a.AttestationKey.Equal(b.AttestationKey))
	assert.Equal(t, a.PCKChainPEM, again.PCKChainPEM)
}

func TestNewPKICertificates(t *testing.T) {
	const intelDN = ",O=Intel Corporation,L=Santa Clara,ST=CA,C=US"
	p := mustDefaultPKI(t)
	tests := []struct {
		name       string
		cert       *x509.Certificate
		issuer     *x509.Certificate
		cn         string
		isCA       bool
		maxPathLen int
		keyUsage   x509.KeyUsage
		crlDP      string
		extensions int
	}{
		{"root", p.Root, p.Root, cvmtest.RootCN, true, 1,
			x509.KeyUsageCertSign | x509.KeyUsageCRLSign, cvmtest.DefaultBaseURL + cvmtest.RootCRLPath, 5},
		{"intermediate", p.Intermediate, p.Root, cvmtest.PlatformCACN, true, 0,
			x509.KeyUsageCertSign | x509.KeyUsageCRLSign, cvmtest.DefaultBaseURL + cvmtest.RootCRLPath, 5},
		{"pck", p.PCK, p.Intermediate, cvmtest.PCKCertificateCN, false, -1,
			x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
			cvmtest.DefaultBaseURL + "/sgx/certification/v4/pckcrl?ca=platform&encoding=der", 6},
		{"tcb signing", p.TCBSigning, p.Root, cvmtest.TCBSigningCN, false, -1,
			x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, cvmtest.DefaultBaseURL + cvmtest.RootCRLPath, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cert
			assert.Equal(t, "CN="+tt.cn+intelDN, c.Subject.String())
			assert.Equal(t, tt.issuer.Subject.String(), c.Issuer.String())
			require.NoError(t, c.CheckSignatureFrom(tt.issuer))
			assert.Equal(t, x509.ECDSAWithSHA256, c.SignatureAlgorithm)
			assert.Equal(t, 3, c.Version)
			assert.True(t, c.BasicConstraintsValid)
			assert.Equal(t, tt.isCA, c.IsCA)
			if tt.isCA {
				assert.Equal(t, tt.maxPathLen, c.MaxPathLen)
				assert.Equal(t, tt.maxPathLen == 0, c.MaxPathLenZero)
			}
			assert.Equal(t, tt.keyUsage, c.KeyUsage)
			assert.Empty(t, c.ExtKeyUsage, "Intel certificates carry no extended key usage")
			assert.Equal(t, []string{tt.crlDP}, c.CRLDistributionPoints)
			assert.Len(t, c.Extensions, tt.extensions)
			assert.NotEmpty(t, c.SubjectKeyId)
			assert.Equal(t, tt.issuer.SubjectKeyId, c.AuthorityKeyId)
			assert.Equal(t, cvmtest.DefaultNotBefore, c.NotBefore)
			assert.Equal(t, cvmtest.DefaultNotAfter, c.NotAfter)
		})
	}

	_, err := p.PCK.Verify(x509.VerifyOptions{
		Roots:         p.RootPool(),
		Intermediates: poolOf(p.Intermediate),
		CurrentTime:   testNow,
	})
	require.NoError(t, err, "the PCK chain must verify with crypto/x509")
	assert.Equal(t, []*x509.Certificate{p.PCK, p.Intermediate, p.Root}, parsePEMCerts(t, p.PCKChainPEM))
	assert.Equal(t, []*x509.Certificate{p.TCBSigning, p.Root}, parsePEMCerts(t, p.TCBSigningChainPEM))
	assert.Equal(t, []*x509.Certificate{p.Intermediate, p.Root}, parsePEMCerts(t, p.PCKCRLIssuerChainPEM))
	assert.Equal(t, []*x509.Certificate{p.Root}, parsePEMCerts(t, p.RootPEM))
}

func ptr[T any](v T) *T { return &v }

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

func TestNewPKIOptions(t *testing.T) {
	tcb := pck.TCB{CPUSVNComponents: [16]uint8{9, 9, 9}, PCESVN: 42, CPUSVN: [16]byte{1, 2, 3}}
	notBefore := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		opts  cvmtest.PKIOptions
		check func(t *testing.T, p *cvmtest.PKI, ext *pck.Extensions)
	}{
		{"defaults", cvmtest.PKIOptions{}, func(t *testing.T, p *cvmtest.PKI, ext *pck.Extensions) {
			up, err := cvmtest.PlatformFor("UpToDate")
			require.NoError(t, err)
			assert.Equal(t, up.PCK, ext.TCB)
			assert.Equal(t, cvmtest.DefaultFMSPC, ext.FMSPC)
			assert.Equal(t, [2]byte{}, ext.PCEID)
			assert.Equal(t, 1, ext.SGXType)
			assert.Len(t, ext.PPID, 16)
			assert.Len(t, ext.PlatformInstanceID, 16)
			assert.Equal(t, &pck.Configuration{DynamicPlatform: true, CachedKeys: true, SMTEnabled: true}, ext.Configuration)
			assert.Equal(t, collateral.CAPlatform, p.CA)
			assert.Equal(t, "C0DE6F000000", p.FMSPC())
		}},
		{"platform values", cvmtest.PKIOptions{
			FMSPC: [6]byte{0x90, 0xC0, 0x6F, 0, 0, 0}, PCEID: [2]byte{0, 1}, TCB: &tcb,
			PPID: []byte("0123456789abcdef"), SGXType: ptr(pck.SGXTypeStandard),
		}, func(t *testing.T, p *cvmtest.PKI, ext *pck.Extensions) {
			assert.Equal(t, tcb, ext.TCB)
			assert.Equal(t, [6]byte{0x90, 0xC0, 0x6F, 0, 0, 0}, ext.FMSPC)
			assert.Equal(t, [2]byte{0, 1}, ext.PCEID)
			assert.Equal(t, []byte("0123456789abcdef"), ext.PPID)
			assert.Equal(t, 0, ext.SGXType)
			assert.Equal(t, "90C06F000000", p.FMSPC())
		}},
		{"processor CA", cvmtest.PKIOptions{CA: collateral.CAProcessor}, func(t *testing.T, p *cvmtest.PKI, ext *pck.Extensions) {
			assert.Equal(t, cvmtest.ProcessorCACN, p.Intermediate.Subject.CommonName)
			assert.Equal(t, cvmtest.ProcessorCACN, p.PCK.Issuer.CommonName)
			assert.Nil(t, ext.PlatformInstanceID, "processor CA certificates name no platform instance")
			assert.Nil(t, ext.Configuration)
			assert.Equal(t, []string{cvmtest.DefaultBaseURL + "/sgx/certification/v4/pckcrl?ca=processor&encoding=der"}, p.PCK.CRLDistributionPoints)
		}},
		{"validity and base URL", cvmtest.PKIOptions{NotBefore: notBefore, NotAfter: notAfter, BaseURL: "http://127.0.0.1:8080/"},
			func(t *testing.T, p *cvmtest.PKI, ext *pck.Extensions) {
				for _, c := range []*x509.Certificate{p.Root, p.Intermediate, p.PCK, p.TCBSigning} {
					assert.Equal(t, notBefore, c.NotBefore, c.Subject.CommonName)
					assert.Equal(t, notAfter, c.NotAfter, c.Subject.CommonName)
				}
				assert.Equal(t, []string{"http://127.0.0.1:8080" + cvmtest.RootCRLPath}, p.Root.CRLDistributionPoints)
				assert.Equal(t, "http://127.0.0.1:8080", p.BaseURL)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cvmtest.MustPKI(t, tt.opts)
			assert.Len(t, p.PCK.Extensions, 6)
			ext, err := pck.ParseExtensions(p.PCK)
			require.NoError(t, err, "the SGX extension must round-trip through pck.ParseExtensions")
			assert.Equal(t, p.Extensions, *ext)
			tt.check(t, p, ext)
		})
	}
}

func TestNewPKIInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts cvmtest.PKIOptions
		want string
	}{
		{"unknown CA", cvmtest.PKIOptions{CA: "root"}, `CA: expected "platform" or "processor", found "root"`},
		{"short PPID", cvmtest.PKIOptions{PPID: []byte{1, 2}}, "PPID: expected 16 bytes, found 2 bytes"},
		{"bad SGX type", cvmtest.PKIOptions{SGXType: ptr(7)}, "SGXType: expected 0, 1 or 2, found 7"},
		{"inverted window", cvmtest.PKIOptions{NotBefore: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)}, "NotAfter: expected a time after NotBefore"},
		{"relative base URL", cvmtest.PKIOptions{BaseURL: "pcs.example"}, "BaseURL"},
		{"base URL with query", cvmtest.PKIOptions{BaseURL: "https://pcs.example/?x=1"}, "BaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := cvmtest.NewPKI(tt.opts)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, cvmtest.ErrInvalidOptions)
			var e *cvmtest.Error
			require.True(t, errors.As(err, &e))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestMustPKIFailsTheTest(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		cvmtest.MustPKI(ft, cvmtest.PKIOptions{CA: "bogus"})
	}()
	<-done
	assert.True(t, ft.failed, "MustPKI must call Fatal on invalid options")
}

// fatalRecorder records Fatal instead of failing the real test; Fatal ends
// the goroutine as testing.T's does.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatal(args ...any) {
	f.failed = true
	runtime.Goexit()
}

// TestPKIShapeMatchesIntel compares the test certificates with the chain
// of real quotes: same names, same extensions (by OID and criticality),
// same entries in the SGX extension.
func TestPKIShapeMatchesIntel(t *testing.T) {
	real := map[string][]byte{"go-tdx-guest SPR quote": testdata.RawQuote}
	if _, err := testvectors.Find(); err != nil {
		t.Logf("comparing with go-tdx-guest's quote only: real TDX vectors not found: %v", err)
	} else {
		real["dcap-qvl tdx_quote"] = testvectors.Read(t, "dcap-qvl", "tdx_quote")
	}
	p := mustDefaultPKI(t)
	ours := parsePEMCerts(t, p.PCKChainPEM)
	for name, raw := range real {
		t.Run(name, func(t *testing.T) {
			chain := realChain(t, raw)
			require.Len(t, chain, 3)
			for i := range chain {
				assert.Equal(t, chain[i].Subject.String(), ours[i].Subject.String())
				assert.Equal(t, chain[i].Issuer.String(), ours[i].Issuer.String())
				assert.Equal(t, extensionOIDs(chain[i]), extensionOIDs(ours[i]), chain[i].Subject.CommonName)
				assert.Equal(t, chain[i].KeyUsage, ours[i].KeyUsage, chain[i].Subject.CommonName)
				assert.Equal(t, chain[i].MaxPathLen, ours[i].MaxPathLen, chain[i].Subject.CommonName)
			}
			assert.Equal(t, sgxExtensionOIDs(t, chain[0]), sgxExtensionOIDs(t, ours[0]))
		})
	}
}

// realChain returns the PCK chain of a real quote; the go-tdx-guest quote
// carries a test trailer after the chain, so the chain is cut at its PEM
// blocks rather than parsed with quote.Parse.
func realChain(t *testing.T, raw []byte) []*x509.Certificate {
	t.Helper()
	if q, err := quote.Parse(raw); err == nil {
		return parsePEMCerts(t, q.PCKChainPEM)
	}
	i := bytes.Index(raw, []byte("-----BEGIN CERTIFICATE-----"))
	require.GreaterOrEqual(t, i, 0)
	return parsePEMCerts(t, raw[i:])
}

// TestNewPKIIntermediateSeed checks that IntermediateSeed gives a PCK CA
// of the same name under the same root with a key of its own, and changes
// nothing else but what that CA signs.
func TestNewPKIIntermediateSeed(t *testing.T) {
	p := mustDefaultPKI(t)
	rekeyed := cvmtest.MustPKI(t, cvmtest.PKIOptions{IntermediateSeed: []byte("re-keyed CA")})
	again := cvmtest.MustPKI(t, cvmtest.PKIOptions{IntermediateSeed: []byte("re-keyed CA")})
	assert.Equal(t, rekeyed.Intermediate.Raw, again.Intermediate.Raw, "deterministic")
	assert.Equal(t, p.Intermediate.Raw, cvmtest.MustPKI(t, cvmtest.PKIOptions{IntermediateSeed: cvmtest.DefaultSeed}).Intermediate.Raw,
		"an IntermediateSeed equal to the seed changes nothing")

	assert.Equal(t, p.Root.Raw, rekeyed.Root.Raw)
	assert.Equal(t, p.TCBSigning.Raw, rekeyed.TCBSigning.Raw)
	assert.True(t, p.PCKKey.Equal(rekeyed.PCKKey))
	assert.True(t, p.AttestationKey.Equal(rekeyed.AttestationKey))

	assert.Equal(t, p.Intermediate.RawSubject, rekeyed.Intermediate.RawSubject, "same name")
	assert.False(t, p.IntermediateKey.Equal(rekeyed.IntermediateKey), "another key")
	assert.NotEqual(t, p.Intermediate.SerialNumber, rekeyed.Intermediate.SerialNumber)
	require.NoError(t, rekeyed.Intermediate.CheckSignatureFrom(p.Root))
	require.NoError(t, rekeyed.PCK.CheckSignatureFrom(rekeyed.Intermediate))
	require.Error(t, rekeyed.PCK.CheckSignatureFrom(p.Intermediate))

	der, err := rekeyed.PCKCRL(cvmtest.CRLOptions{ThisUpdate: testNow, NextUpdate: testNow.Add(time.Hour)})
	require.NoError(t, err)
	crl, err := x509.ParseRevocationList(der)
	require.NoError(t, err)
	assert.Equal(t, p.Intermediate.RawSubject, crl.RawIssuer, "the CRL names the original CA")
	require.NoError(t, crl.CheckSignatureFrom(rekeyed.Intermediate))
	require.Error(t, crl.CheckSignatureFrom(p.Intermediate), "but only the re-keyed CA's key verifies it")
}
