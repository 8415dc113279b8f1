// Package collateral fetches, caches, reads and writes the DCAP collateral
// a TDX quote is verified against: TCB info, QE identity, the PCK CRL and the
// root CA CRL, each with the issuer chain Intel signed it with.
//
// This package moves and parses collateral; it does not decide whether it is
// genuine. Package verify checks every signature, chain and validity window
// before it trusts anything here.
package collateral

import (
	"context"
)

// CA names the Intel PCK intermediate CA that issued a PCK certificate; it
// selects which PCK CRL applies.
type CA string

// The two PCK intermediate CAs.
const (
	CAPlatform  CA = "platform"
	CAProcessor CA = "processor"
)

// Request says which collateral a quote needs.
type Request struct {
	// FMSPC is the platform's FMSPC as 12 upper-case hex characters.
	FMSPC string
	// CA is the issuer of the PCK leaf certificate.
	CA CA
}

// Collateral is one set of DCAP collateral for a TDX platform, kept in the
// raw form it was signed in so its signatures can be checked again.
type Collateral struct {
	// TCBInfo is the exact bytes of the signed "tcbInfo" JSON value.
	TCBInfo []byte
	// TCBInfoSignature is the raw ECDSA signature (r || s) over TCBInfo.
	TCBInfoSignature []byte
	// TCBInfoIssuerChain is the PEM chain of the TCB signing certificate.
	TCBInfoIssuerChain []byte

	// QEIdentity is the exact bytes of the signed "enclaveIdentity" JSON value.
	QEIdentity []byte
	// QEIdentitySignature is the raw ECDSA signature (r || s) over QEIdentity.
	QEIdentitySignature []byte
	// QEIdentityIssuerChain is the PEM chain of the QE identity signing certificate.
	QEIdentityIssuerChain []byte

	// PCKCRL is the DER CRL of the PCK intermediate CA.
	PCKCRL []byte
	// PCKCRLIssuerChain is the PEM chain of the PCK CRL issuer.
	PCKCRLIssuerChain []byte

	// RootCACRL is the DER CRL of the Intel SGX Root CA.
	RootCACRL []byte
}

// Source supplies collateral. Implementations must be safe for concurrent use
// and must honour ctx for cancellation and deadlines.
type Source interface {
	// ID names the source for cache keys and messages, such as
	// "pcs:https://api.trustedservices.intel.com" or "bundle:file.json".
	ID() string
	// Fetch returns the collateral for req. The result must not be modified.
	Fetch(ctx context.Context, req Request) (*Collateral, error)
}

// Rejecter is implemented by sources that keep what they fetched, such as
// Cache. A verifier calls Reject with collateral it fetched for req and
// found not genuine or not for the platform (a bad signature, a broken
// chain, another FMSPC), so that one forged answer cannot be served again
// until the nextUpdate it claims.
type Rejecter interface {
	Reject(req Request, c *Collateral)
}
