// Package cvmtest is to Intel TDX what net/http/httptest is to HTTP: test
// doubles that let code verifying confidential VMs run in ordinary unit
// tests, without TDX hardware or network access.
//
// A PKI is an Intel-shaped test public key infrastructure: an "Intel SGX
// Root CA", a PCK platform (or processor) CA, a PCK leaf certificate carrying
// the SGX extension, a TCB signing certificate, and a quoting enclave
// attestation key. With it a test can make signed TDX quotes (PKI.Quote),
// signed DCAP collateral and CRLs (PKI.Collateral) and serve that collateral
// the way Intel PCS does (NewPCSServer).
//
// Everything is derived from a seed, so the same options give the same keys,
// certificates, quotes and collateral in every run, and a PKI takes a few
// milliseconds to make. The default PKI, the default quote and the default
// collateral verify as UpToDate with no advisories; PlatformFor, ModuleFor
// and QEFor say which TCB values the default TCB info rates with any other
// status.
//
// An App is a simulated dstack application: its event log, the RTMRs that
// log replays to, and the /attestation (PKI.Attestation) and /info
// (App.Info) documents a CVM running it serves.
//
// An Agent is a fake dstack guest agent for an App, answering GetQuote,
// Info and GetTlsKey as the real one does on its unix socket (StartAgent,
// Agent.Listen). NewServer starts a simulated CVM on loopback: the real
// cvm.Handler backed by such an agent, beside the caller's application,
// with options for every threat a verifying client must refuse; its
// Policy and TransportOptions configure a transport.Transport for it.
//
// The test root is not Intel's root. A verifier only accepts these quotes
// when told to trust PKI.Root explicitly.
package cvmtest

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"sync"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
)

// Defaults of PKIOptions.
var (
	// DefaultSeed is the seed used when PKIOptions.Seed is empty.
	DefaultSeed = []byte("cvmtest")
	// DefaultFMSPC is the FMSPC used when PKIOptions.FMSPC is zero. It is
	// not the FMSPC of any real platform.
	DefaultFMSPC = [6]byte{0xC0, 0xDE, 0x6F, 0x00, 0x00, 0x00}
	// DefaultNotBefore and DefaultNotAfter bound every certificate when
	// PKIOptions leaves them zero. The window is fixed, not relative to the
	// current time, so that certificates are reproducible.
	DefaultNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	DefaultNotAfter  = time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC)
)

// DefaultBaseURL is the PCS base URL written into the certificates' CRL
// distribution points when PKIOptions.BaseURL is empty. The .invalid
// top-level domain never resolves, so nothing leaks to a real service;
// PCSServer serves the same paths.
const DefaultBaseURL = "https://pcs.cvmtest.invalid"

// PKIOptions configures NewPKI. The zero value gives the default PKI.
type PKIOptions struct {
	// Seed determines every key, serial number and identifier. Empty means
	// DefaultSeed.
	Seed []byte
	// IntermediateSeed, if set, determines the PCK intermediate CA's key and
	// serial number instead of Seed. Two PKIs that differ only here share
	// the root, the TCB signing certificate and the PCK key, and have PCK
	// CAs of the same name with different keys: a re-keyed CA, or another
	// CA whose name a forged CRL borrows.
	IntermediateSeed []byte
	// CA selects the PCK intermediate CA: collateral.CAPlatform ("Intel SGX
	// PCK Platform CA", the default) or collateral.CAProcessor ("Intel SGX
	// PCK Processor CA"). go-tdx-guest only accepts platform chains.
	CA collateral.CA
	// FMSPC of the platform. Zero means DefaultFMSPC.
	FMSPC [6]byte
	// PCEID of the platform. The zero value is Intel's PCE id 0000.
	PCEID [2]byte
	// TCB is the PCK certificate's TCB: CPUSVN components, PCESVN and
	// CPUSVN. Nil means the UpToDate platform of the default TCB info, as
	// returned by PlatformFor("UpToDate").
	TCB *pck.TCB
	// PPID is the 16-byte platform provisioning id. Nil means one derived
	// from the seed.
	PPID []byte
	// SGXType is the SGX type of the PCK extension, one of pck.SGXType*.
	// Nil means pck.SGXTypeScalable, as on TDX platforms.
	SGXType *int
	// NotBefore and NotAfter bound every certificate. Zero means
	// DefaultNotBefore and DefaultNotAfter.
	NotBefore, NotAfter time.Time
	// BaseURL is the PCS base URL the CRL distribution points name: the root
	// CRL at BaseURL+RootCRLPath, the PCK CRL at BaseURL's pckcrl path.
	// Empty means DefaultBaseURL.
	BaseURL string
}

// RootCRLPath is the path of the root CA CRL under PKIOptions.BaseURL, as
// named by the root certificate's CRL distribution point. It mirrors
// Intel's https://certificates.trustedservices.intel.com/IntelSGXRootCA.der.
const RootCRLPath = "/IntelSGXRootCA.der"

// PKI is an Intel-shaped test PKI. Its exported fields describe what was
// made and must not be modified; keys are exposed so that tests can sign
// tampered material themselves. Methods are safe for concurrent use.
type PKI struct {
	// Root is the self-signed "Intel SGX Root CA" test certificate.
	Root *x509.Certificate
	// Intermediate is the "Intel SGX PCK Platform CA" (or Processor CA).
	Intermediate *x509.Certificate
	// PCK is the "Intel SGX PCK Certificate" leaf with the SGX extension.
	PCK *x509.Certificate
	// TCBSigning is the "Intel SGX TCB Signing" certificate that signs TCB
	// info and QE identity.
	TCBSigning *x509.Certificate

	// RootKey, IntermediateKey, PCKKey and TCBSigningKey are the private
	// keys of the certificates above.
	RootKey, IntermediateKey, PCKKey, TCBSigningKey *ecdsa.PrivateKey
	// AttestationKey is the quoting enclave's attestation key; it signs
	// quotes, and the QE report signed by PCKKey binds it.
	AttestationKey *ecdsa.PrivateKey

	// TLSCA is the root of the TLS certificates simulated CVMs serve (the
	// role of dstack's KMS root CA), and TLSCAKey its key. It depends on
	// the seed only, so every PKI of one seed shares it.
	TLSCA    *x509.Certificate
	TLSCAKey *ecdsa.PrivateKey

	// RootPEM is Root in PEM form.
	RootPEM []byte
	// PCKChainPEM is the chain quotes carry: PCK, Intermediate, Root.
	PCKChainPEM []byte
	// TCBSigningChainPEM is the issuer chain of TCB info and QE identity:
	// TCBSigning, Root.
	TCBSigningChainPEM []byte
	// PCKCRLIssuerChainPEM is the issuer chain of the PCK CRL:
	// Intermediate, Root.
	PCKCRLIssuerChainPEM []byte

	// CA is the PCK intermediate's kind.
	CA collateral.CA
	// Extensions is what the PCK certificate's SGX extension holds.
	Extensions pck.Extensions
	// BaseURL is the PCS base URL of the CRL distribution points.
	BaseURL string

	seed []byte

	mu          sync.Mutex
	revokedPCK  []*big.Int // serials for the PCK CRL
	revokedRoot []*big.Int // serials for the root CA CRL
}

// NewPKI makes a test PKI for opts. It is deterministic: equal options give
// byte-identical certificates.
func NewPKI(opts PKIOptions) (*PKI, error) {
	cfg, err := resolvePKIOptions(opts)
	if err != nil {
		return nil, err
	}
	p := &PKI{CA: cfg.ca, BaseURL: cfg.baseURL, seed: cfg.seed}
	if err := p.makeKeys(cfg.intermediateSeed); err != nil {
		return nil, err
	}
	p.Extensions = cfg.extensions(p.seed)
	if err := p.makeCertificates(cfg); err != nil {
		return nil, err
	}
	if err := p.makeTLSCA(); err != nil {
		return nil, err
	}
	p.RootPEM = pemCerts(p.Root)
	p.PCKChainPEM = pemCerts(p.PCK, p.Intermediate, p.Root)
	p.TCBSigningChainPEM = pemCerts(p.TCBSigning, p.Root)
	p.PCKCRLIssuerChainPEM = pemCerts(p.Intermediate, p.Root)
	return p, nil
}

// TB is the part of testing.TB that MustPKI uses. Taking it instead of
// testing.TB keeps package testing out of programs that import cvmtest
// without being tests, such as the cvmgate demo.
type TB interface {
	Helper()
	Fatal(args ...any)
}

// MustPKI is NewPKI for tests: it calls t.Fatal if NewPKI fails. Any
// testing.TB will do.
func MustPKI(t TB, opts PKIOptions) *PKI {
	t.Helper()
	p, err := NewPKI(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// RootPool returns a new pool holding only Root, for verifiers that take
// trusted roots as an *x509.CertPool.
func (p *PKI) RootPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// FMSPC returns the platform's FMSPC as 12 upper-case hex characters, the
// form collateral requests use.
func (p *PKI) FMSPC() string { return p.Extensions.FMSPCHex() }

// RevokePCK puts the PCK leaf's serial number into the PCK CRL of every
// collateral made from now on.
func (p *PKI) RevokePCK() { p.revoke(&p.revokedPCK, p.PCK.SerialNumber) }

// RevokeIntermediate puts the PCK intermediate CA's serial number into the
// root CA CRL of every collateral made from now on.
func (p *PKI) RevokeIntermediate() { p.revoke(&p.revokedRoot, p.Intermediate.SerialNumber) }

// RevokeTCBSigning puts the TCB signing certificate's serial number into
// the root CA CRL of every collateral made from now on.
func (p *PKI) RevokeTCBSigning() { p.revoke(&p.revokedRoot, p.TCBSigning.SerialNumber) }

func (p *PKI) revoke(list *[]*big.Int, serial *big.Int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range *list {
		if s.Cmp(serial) == 0 {
			return
		}
	}
	*list = append(*list, new(big.Int).Set(serial))
}

// revoked returns copies of the serials revoked so far.
func (p *PKI) revoked() (pckCRL, rootCRL []*big.Int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*big.Int(nil), p.revokedPCK...), append([]*big.Int(nil), p.revokedRoot...)
}

// makeKeys derives every key from the seed, the intermediate's from
// intermediateSeed.
func (p *PKI) makeKeys(intermediateSeed []byte) error {
	for _, k := range []struct {
		dst   **ecdsa.PrivateKey
		seed  []byte
		label string
	}{
		{&p.RootKey, p.seed, "root"},
		{&p.IntermediateKey, intermediateSeed, "intermediate " + string(p.CA)},
		{&p.PCKKey, p.seed, "pck"},
		{&p.TCBSigningKey, p.seed, "tcb signing"},
		{&p.AttestationKey, p.seed, "attestation"},
	} {
		key, err := deriveKey(k.seed, k.label)
		if err != nil {
			return err
		}
		*k.dst = key
	}
	return nil
}

// pemCerts encodes certs as concatenated PEM blocks.
func pemCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
