package cvm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
)

// servedKey is the context key of a connection's *served.
type servedKey struct{}

// served holds the certificate a connection's handshake served. The
// handshake writes it once; the connection's requests read it.
type served struct {
	cert atomic.Pointer[tls.Certificate]
}

// ConnContext places in ctx the holder in which the certificate selection
// of a TLSConfig records the leaf a connection serves. Use it as
// http.Server.ConnContext (Configure does): net/http runs the TLS
// handshake and every request of the connection, HTTP/2 included, under
// the context it returns.
func ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, servedKey{}, new(served))
}

// ServedCertificate returns the certificate the TLS handshake of the
// request's connection served, as recorded by a TLSConfig under
// ConnContext; nil when none was recorded.
func ServedCertificate(ctx context.Context) *tls.Certificate {
	if s, ok := ctx.Value(servedKey{}).(*served); ok {
		return s.cert.Load()
	}
	return nil
}

// ErrNoCertificate is returned by TLSConfig and Configure for a
// configuration that has no certificate to serve.
var ErrNoCertificate = errors.New("cvm: TLS configuration: expected Certificates, GetCertificate or GetConfigForClient, found none")

// TLSConfig returns a copy of base whose certificate selection records, in
// the holder ConnContext placed in the handshake's context, the
// certificate it serves, so that a Handler binds the key of exactly that
// leaf. Certificates are selected as crypto/tls does: base.GetCertificate
// first, then base.Certificates (the one, or the first the client supports,
// else the first; NameToCertificate is not consulted). A config returned
// by base.GetConfigForClient is wrapped the same way.
//
// The copy selects every certificate through its GetCertificate and has
// no Certificates of its own; do not add any to it, for crypto/tls would
// then serve them without asking GetCertificate when the client sends no
// server name. (httptest.Server.StartTLS adds one to a config without
// Certificates: serve through tls.NewListener instead.) Likewise the
// certFile and keyFile arguments of http.Server.ServeTLS must be "".
//
// Session tickets are turned off: a resumed session presents no
// certificate, so the server could not tell which key the client holds.
func TLSConfig(base *tls.Config) (*tls.Config, error) {
	if base == nil || (len(base.Certificates) == 0 && base.GetCertificate == nil && base.GetConfigForClient == nil) {
		return nil, ErrNoCertificate
	}
	return wrapConfig(base), nil
}

// wrapConfig returns the recording copy of base (see TLSConfig).
func wrapConfig(base *tls.Config) *tls.Config {
	src := base.Clone()
	src.Certificates = slices.Clone(base.Certificates)
	cfg := src.Clone()
	// crypto/tls skips GetCertificate when Certificates is set and the
	// client sent no server name: every handshake must come through it.
	cfg.Certificates = nil
	cfg.SessionTicketsDisabled = true
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := selectCertificate(src, hello)
		if err != nil {
			return nil, err
		}
		if s, ok := hello.Context().Value(servedKey{}).(*served); ok {
			s.cert.Store(cert)
		}
		return cert, nil
	}
	if src.GetConfigForClient != nil {
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := src.GetConfigForClient(hello)
			if err != nil || c == nil {
				return nil, err
			}
			return wrapConfig(c), nil
		}
	}
	return cfg
}

// selectCertificate picks the certificate src serves to hello, as
// crypto/tls would without NameToCertificate.
func selectCertificate(src *tls.Config, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if src.GetCertificate != nil {
		cert, err := src.GetCertificate(hello)
		if err != nil || cert != nil {
			return cert, err
		}
	}
	switch len(src.Certificates) {
	case 0:
		return nil, ErrNoCertificate
	case 1:
		return &src.Certificates[0], nil
	}
	for i := range src.Certificates {
		if hello.SupportsCertificate(&src.Certificates[i]) == nil {
			return &src.Certificates[i], nil
		}
	}
	return &src.Certificates[0], nil
}

// Configure sets srv up for a Handler: it replaces srv.TLSConfig by
// TLSConfig(srv.TLSConfig) and chains ConnContext after srv.ConnContext.
// Serve with srv.ServeTLS(l, "", "") or srv.ListenAndServeTLS("", "").
func Configure(srv *http.Server) error {
	cfg, err := TLSConfig(srv.TLSConfig)
	if err != nil {
		return err
	}
	srv.TLSConfig = cfg
	prev := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prev != nil {
			ctx = prev(ctx, c)
		}
		return ConnContext(ctx, c)
	}
	return nil
}

// leafSPKI returns the DER SubjectPublicKeyInfo of cert's leaf: the first
// certificate of its chain, the bytes the client receives.
func leafSPKI(cert *tls.Certificate) ([]byte, error) {
	if cert == nil || len(cert.Certificate) == 0 {
		return nil, errors.New("no leaf certificate")
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	return leaf.RawSubjectPublicKeyInfo, nil
}
