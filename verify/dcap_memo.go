package verify

// What a Verifier remembers, and why it is safe.
//
// A memo holds the outcome of checks whose result depends only on the
// bytes it is keyed by and on the Verifier's trusted roots, which never
// change: parsing, names, key types, extensions and signatures. Every check
// that depends on the time or on collateral runs again on every use: the
// validity of each certificate at the verification time, and revocation
// against the CRLs of the collateral in force. So a remembered certificate
// that has expired, is not yet valid or has been revoked since is refused
// exactly as a new one would be. The quote's own signature is never
// remembered. Every memo is a bounded LRU.

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Memo sizes. A verifier meets few PCK intermediates and signing
// certificates, and one PCK chain per platform it talks to.
const (
	chainMemoSize    = 1024
	qeReportMemoSize = 4096
	certMemoSize     = 64
)

// memoKey is the SHA-256 a memo is keyed by.
type memoKey = [sha256.Size]byte

// chainMemo holds the PCK chains that passed verifyPCKChain, with the
// SGX extensions of their leaves, by the SHA-256 of the exact PEM chain of
// the quote, which names the trusted root by its DER.
type chainMemo = lru.Cache[memoKey, *pckChain]

// qeReportMemo holds the QE reports whose signature by a PCK leaf has
// been verified, by qeReportKey.
type qeReportMemo = lru.Cache[memoKey, struct{}]

// certRole is what a certificate was accepted as, under which root.
type certRole byte

const (
	// rolePCKCA is the intermediate of a PCK chain: named as one of
	// Intel's PCK CAs, a CA, signed by the root (verifiedIntermediate).
	rolePCKCA certRole = 1 + iota
	// rolePCKCRLIssuer is the issuer of the PCK CRL in a collateral issuer
	// chain: named as a PCK CA and signed by the root (checkIssuerChain).
	// A certificate accepted as rolePCKCA passed those checks too.
	rolePCKCRLIssuer
	// roleTCBSigning is the signer of the TCB info and the QE identity.
	roleTCBSigning
)

// certMemo holds certificates accepted for a role under a trusted root by
// certKey: their DER parsed, their name checked, their signature by the
// root verified. Validity and revocation are checked on every use.
type certMemo = lru.Cache[memoKey, *x509.Certificate]

// newMemos makes v's memos.
func (v *Verifier) newMemos() error {
	var err error
	if v.chains, err = lru.New[memoKey, *pckChain](chainMemoSize); err != nil {
		return err
	}
	if v.qeReports, err = lru.New[memoKey, struct{}](qeReportMemoSize); err != nil {
		return err
	}
	v.certs, err = lru.New[memoKey, *x509.Certificate](certMemoSize)
	return err
}

// certKey keys the certificate der accepted as role under root.
func certKey(role certRole, der, root []byte) memoKey {
	h := sha256.New()
	var head [9]byte
	head[0] = byte(role)
	binary.BigEndian.PutUint64(head[1:], uint64(len(der)))
	h.Write(head[:])
	h.Write(der)
	h.Write(root)
	var key memoKey
	h.Sum(key[:0])
	return key
}

// qeReportKey keys a QE report and its signature by the leaf of the PCK
// chain keyed chainKey. The report and signature have fixed sizes.
func qeReportKey(chainKey memoKey, report, sig []byte) memoKey {
	h := sha256.New()
	h.Write(chainKey[:])
	h.Write(report)
	h.Write(sig)
	var key memoKey
	h.Sum(key[:0])
	return key
}

// validAt reports whether now lies in [from, until].
func validAt(now, from, until time.Time) bool {
	return !now.Before(from) && !now.After(until)
}
