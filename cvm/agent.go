package cvm

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/cvmgate/cvmgate/wire"
)

// Agent is what a Handler needs of the dstack guest agent. *Client
// implements it; tests and simulators may put their own in front of it.
type Agent interface {
	// GetQuote returns a quote over reportData (at most
	// wire.ReportDataSize bytes, right-padded with zeros) with the event
	// log to replay against it.
	GetQuote(ctx context.Context, reportData []byte) (*wire.Attestation, error)
	// Info returns the agent's Info document.
	Info(ctx context.Context) (*wire.Info, error)
}

var _ Agent = (*Client)(nil)

// GetQuote asks the agent for a quote over reportData, which it pads with
// zeros to wire.ReportDataSize bytes and quotes unchanged. The answer is
// read with wire.ParseAttestation; its document errors come wrapped in an
// *AgentError.
func (c *Client) GetQuote(ctx context.Context, reportData []byte) (*wire.Attestation, error) {
	const method = "GetQuote"
	if len(reportData) > wire.ReportDataSize {
		return nil, &AgentError{Method: method, Message: fmt.Sprintf("report data: expected at most %d bytes, found %d", wire.ReportDataSize, len(reportData))}
	}
	body, err := c.call(ctx, method, struct {
		ReportData string `json:"report_data"`
	}{hex.EncodeToString(reportData)})
	if err != nil {
		return nil, err
	}
	att, err := wire.ParseAttestation(body)
	if err != nil {
		return nil, &AgentError{Method: method, StatusCode: 200, Message: "malformed answer", Err: err}
	}
	return att, nil
}

// Info asks the agent for its Info document, read with wire.ParseInfo.
func (c *Client) Info(ctx context.Context) (*wire.Info, error) {
	const method = "Info"
	body, err := c.call(ctx, method, struct{}{})
	if err != nil {
		return nil, err
	}
	info, err := wire.ParseInfo(body)
	if err != nil {
		return nil, &AgentError{Method: method, StatusCode: 200, Message: "malformed answer", Err: err}
	}
	return info, nil
}

// TLSKeyOptions is what GetTLSKey asks the agent for. The zero value asks
// for a certificate with no subject, no names and no extended key usage.
type TLSKeyOptions struct {
	// Subject is the certificate's common name.
	Subject string
	// AltNames are its subject alternative names; IP literals become IP
	// SANs, anything else DNS SANs.
	AltNames []string
	// UsageRATLS asks for dstack's RA-TLS attestation extension.
	UsageRATLS bool
	// UsageServerAuth and UsageClientAuth ask for those extended key usages.
	UsageServerAuth bool
	UsageClientAuth bool
	// NotBefore and NotAfter bound the certificate; zero leaves the
	// agent's defaults (1975-01-01 and ten years from now). Agents before
	// dstack 0.5.7 ignore them.
	NotBefore, NotAfter time.Time
	// WithAppInfo asks for the app info extension (dstack 0.5.7 and later).
	WithAppInfo bool
}

// tlsKeyArgs is the GetTlsKey request.
type tlsKeyArgs struct {
	Subject         string   `json:"subject"`
	AltNames        []string `json:"alt_names"`
	UsageRATLS      bool     `json:"usage_ra_tls"`
	UsageServerAuth bool     `json:"usage_server_auth"`
	UsageClientAuth bool     `json:"usage_client_auth"`
	NotBefore       *int64   `json:"not_before,omitempty"`
	NotAfter        *int64   `json:"not_after,omitempty"`
	WithAppInfo     bool     `json:"with_app_info,omitempty"`
}

// tlsKeyAnswer is the GetTlsKey answer.
type tlsKeyAnswer struct {
	Key              *string  `json:"key"`
	CertificateChain []string `json:"certificate_chain"`
}

// GetTLSKey asks the agent for a TLS key and certificate. Every call gives
// a fresh key: the agent makes a new P-256 key and has the app's CA (or
// the KMS) sign it. The answer's PKCS#8 key and chain (leaf first) become
// a tls.Certificate with Leaf set, ready for tls.Config.Certificates.
func (c *Client) GetTLSKey(ctx context.Context, opts TLSKeyOptions) (tls.Certificate, error) {
	const method = "GetTlsKey"
	args := tlsKeyArgs{
		Subject: opts.Subject, AltNames: opts.AltNames,
		UsageRATLS: opts.UsageRATLS, UsageServerAuth: opts.UsageServerAuth, UsageClientAuth: opts.UsageClientAuth,
		WithAppInfo: opts.WithAppInfo,
	}
	if args.AltNames == nil {
		args.AltNames = []string{}
	}
	if !opts.NotBefore.IsZero() {
		s := opts.NotBefore.Unix()
		args.NotBefore = &s
	}
	if !opts.NotAfter.IsZero() {
		s := opts.NotAfter.Unix()
		args.NotAfter = &s
	}
	body, err := c.call(ctx, method, args)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := parseTLSKey(body)
	if err != nil {
		return tls.Certificate{}, &AgentError{Method: method, StatusCode: 200, Message: "malformed answer", Err: err}
	}
	return cert, nil
}

// parseTLSKey reads a GetTlsKey answer: a PKCS#8 PEM key and a chain of
// PEM certificates, leaf first, one block each.
func parseTLSKey(body []byte) (tls.Certificate, error) {
	var a tlsKeyAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return tls.Certificate{}, fmt.Errorf("expected {\"key\", \"certificate_chain\"}: %w", err)
	}
	if a.Key == nil || *a.Key == "" {
		return tls.Certificate{}, fmt.Errorf("key: expected a PEM private key, found none")
	}
	if len(a.CertificateChain) == 0 {
		return tls.Certificate{}, fmt.Errorf("certificate_chain: expected at least the leaf, found none")
	}
	if b, _ := pem.Decode([]byte(*a.Key)); b == nil || b.Type != "PRIVATE KEY" {
		return tls.Certificate{}, fmt.Errorf("key: expected a PKCS#8 \"PRIVATE KEY\" PEM block, found %s", pemKind(b))
	}
	var chain []byte
	for i, c := range a.CertificateChain {
		b, rest := pem.Decode([]byte(c))
		if b == nil || b.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
			return tls.Certificate{}, fmt.Errorf("certificate_chain[%d]: expected one CERTIFICATE PEM block, found %s", i, pemKind(b))
		}
		chain = append(chain, pem.EncodeToMemory(b)...)
	}
	cert, err := tls.X509KeyPair(chain, []byte(*a.Key))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key and certificate: %w", err)
	}
	return cert, nil
}

// pemKind names a decoded PEM block for an error message.
func pemKind(b *pem.Block) string {
	if b == nil {
		return "no PEM block"
	}
	return fmt.Sprintf("a %q block", b.Type)
}
