package cvmtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// TLSCACN is the common name of PKI.TLSCA.
const TLSCACN = "cvmtest TLS CA"

// tlsCANotBefore and tlsCANotAfter bound the TLS CA and the app CAs it
// issues, whatever the PKI's own window, so that every PKI of one seed has
// the same TLS CA.
var (
	tlsCANotBefore = DefaultNotBefore
	tlsCANotAfter  = DefaultNotAfter
)

// makeTLSCA derives the TLS CA from the seed alone.
func (p *PKI) makeTLSCA() error {
	key, err := deriveKey(p.seed, "tls ca")
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          deriveSerial(p.seed, "tls ca"),
		Subject:               pkix.Name{CommonName: TLSCACN, Organization: []string{"cvmtest"}},
		NotBefore:             tlsCANotBefore,
		NotAfter:              tlsCANotAfter,
		SubjectKeyId:          subjectKeyID(&key.PublicKey),
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	ca, err := issue("TLS CA certificate", tmpl, tmpl, key, key)
	if err != nil {
		return err
	}
	p.TLSCA, p.TLSCAKey = ca, key
	return nil
}

// TLSCAPool returns a new pool holding only TLSCA: the RootCAs of a client
// of simulated CVMs.
func (p *PKI) TLSCAPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.TLSCA)
	return pool
}

// appCA returns the intermediate CA of the app whose id is appID, signed by
// the TLS CA: the app CA a dstack KMS derives per app.
func (p *PKI) appCA(appID []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	label := "tls app ca " + hex.EncodeToString(appID)
	key, err := deriveKey(p.seed, label)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          deriveSerial(p.seed, label),
		Subject:               pkix.Name{CommonName: "cvmtest app CA " + hex.EncodeToString(appID), Organization: []string{"cvmtest"}},
		NotBefore:             tlsCANotBefore,
		NotAfter:              tlsCANotAfter,
		SubjectKeyId:          subjectKeyID(&key.PublicKey),
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	ca, err := issue("TLS app CA certificate", tmpl, p.TLSCA, key, p.TLSCAKey)
	if err != nil {
		return nil, nil, err
	}
	return ca, key, nil
}

// TLSCertOptions describes a TLS leaf certificate for PKI.TLSCertificate.
type TLSCertOptions struct {
	// Subject is the common name.
	Subject string
	// AltNames are subject alternative names: IP literals become IP SANs,
	// anything else DNS SANs. Nil means "localhost" and "127.0.0.1".
	AltNames []string
	// ServerAuth and ClientAuth set those extended key usages; with
	// neither the certificate has no extended key usage extension.
	ServerAuth, ClientAuth bool
	// NotBefore and NotAfter bound the certificate. Zero means an hour
	// ago and a day from now.
	NotBefore, NotAfter time.Time
}

// TLSCertificate returns a certificate for a fresh P-256 key, issued by
// TLSCA directly (chain: leaf, TLSCA), with Leaf set.
func (p *PKI) TLSCertificate(opts TLSCertOptions) (tls.Certificate, error) {
	if opts.AltNames == nil {
		opts.AltNames = []string{"localhost", "127.0.0.1"}
	}
	now := time.Now()
	if opts.NotBefore.IsZero() {
		opts.NotBefore = now.Add(-time.Hour)
	}
	if opts.NotAfter.IsZero() {
		opts.NotAfter = now.Add(24 * time.Hour)
	}
	leafDER, key, err := issueLeaf(opts, nil, p.TLSCA, p.TLSCAKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return tls.Certificate{}, &Error{Op: "TLS certificate", Err: err}
	}
	return tls.Certificate{Certificate: [][]byte{leafDER, p.TLSCA.Raw}, PrivateKey: key, Leaf: cert}, nil
}

// issueLeaf makes a fresh P-256 key and a leaf certificate for it signed by
// parent, with extra extensions.
func issueLeaf(opts TLSCertOptions, extra []pkix.Extension, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, &Error{Op: "TLS key", Err: err}
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, &Error{Op: "TLS certificate serial", Err: err}
	}
	tmpl := &x509.Certificate{
		SerialNumber:    serial.Add(serial, big.NewInt(1)), // never zero
		Subject:         pkix.Name{CommonName: opts.Subject},
		NotBefore:       opts.NotBefore,
		NotAfter:        opts.NotAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: extra,
	}
	for _, n := range opts.AltNames {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	if opts.ServerAuth {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if opts.ClientAuth {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, &Error{Op: "TLS certificate", Err: err}
	}
	return der, key, nil
}

// pemKey encodes key as a PKCS#8 "PRIVATE KEY" PEM block, as the dstack
// guest agent does.
func pemKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, &Error{Op: "TLS key", Err: err}
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
