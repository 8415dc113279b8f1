package collateral

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/cvmgate/cvmgate/internal/clip"
)

// Intel's collateral endpoints.
const (
	// PCSBaseURL is the base URL of Intel's Provisioning Certification
	// Service.
	PCSBaseURL = "https://api.trustedservices.intel.com"
	// IntelRootCACRLURL is where Intel publishes the CRL of the Intel SGX
	// Root CA, the CRL distribution point of the root certificate.
	IntelRootCACRLURL = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
)

// Paths of the v4 PCS API, served by Intel and by every PCCS.
const (
	pathTCBInfo    = "/tdx/certification/v4/tcb?fmspc="
	pathQEIdentity = "/tdx/certification/v4/qe/identity"
	pathPCKCRL     = "/sgx/certification/v4/pckcrl?ca="
	pathRootCACRL  = "/sgx/certification/v4/rootcacrl"
)

// Response headers carrying URL-escaped PEM issuer chains.
const (
	headerTCBInfoChain    = "TCB-Info-Issuer-Chain"
	headerTCBInfoChainOld = "SGX-TCB-Info-Issuer-Chain"
	headerQEIdentityChain = "SGX-Enclave-Identity-Issuer-Chain"
	headerPCKCRLChain     = "SGX-PCK-CRL-Issuer-Chain"
)

// NewPCS returns a Source that fetches collateral from Intel's PCS at
// PCSBaseURL, and the root CA CRL from IntelRootCACRLURL. Its ID is
// "pcs:" + PCSBaseURL. Put it behind NewCache: Intel rate-limits the PCS.
func NewPCS(opts HTTPOptions) Source {
	return &httpSource{
		id:         "pcs:" + PCSBaseURL,
		base:       PCSBaseURL,
		rootCRLURL: IntelRootCACRLURL,
		opts:       opts.withDefaults(),
	}
}

// NewPCCS returns a Source that fetches collateral from a PCCS, Intel's
// caching service or a compatible one such as Phala's, serving the v4 PCS
// paths under baseURL. The root CA CRL comes from
// {base}/sgx/certification/v4/rootcacrl, as DER or as the hex text Intel's
// PCCS serves. baseURL must be http or https with a host and no user
// information, and may carry a path prefix; a trailing "/sgx/certification/v4" or "/tdx/certification/v4"
// is dropped. Its ID is "pccs:" + the normalized base URL.
func NewPCCS(baseURL string, opts HTTPOptions) (Source, error) {
	base, err := normalizeBase(baseURL)
	if err != nil {
		return nil, err
	}
	return &httpSource{
		id:         "pccs:" + base,
		base:       base,
		rootCRLURL: base + pathRootCACRL,
		opts:       opts.withDefaults(),
	}, nil
}

// normalizeBase checks a PCCS base URL and trims it to the part before the
// API paths.
func normalizeBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("collateral: PCCS base URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("collateral: PCCS base URL %q: expected scheme https or http, found %q", raw, u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("collateral: PCCS base URL %q: expected a host, found none", raw)
	}
	if u.User != nil {
		// Credentials would end up in IDs, errors and logs.
		return "", fmt.Errorf("collateral: PCCS base URL: expected no user information, found some; authenticate through HTTPOptions.Client")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("collateral: PCCS base URL %q: expected no query or fragment", raw)
	}
	base := strings.TrimRight(u.String(), "/")
	for _, suffix := range []string{"/sgx/certification/v4", "/tdx/certification/v4"} {
		base = strings.TrimSuffix(base, suffix)
	}
	return strings.TrimRight(base, "/"), nil
}

// httpSource fetches collateral from the PCS API of Intel or of a PCCS.
type httpSource struct {
	id         string
	base       string
	rootCRLURL string
	opts       HTTPOptions
}

// ID implements Source.
func (s *httpSource) ID() string { return s.id }

// Fetch implements Source. It fetches the TCB info, QE identity, PCK CRL
// and root CA CRL concurrently, all within HTTPOptions.Timeout, and checks
// the shape of each. A failure to get an answer is a *FetchError matching
// ErrUnavailable; an answer of the wrong shape is a *FormatError matching
// ErrMalformed.
func (s *httpSource) Fetch(ctx context.Context, req Request) (*Collateral, error) {
	c, _, err := s.fetch(ctx, req)
	return c, err
}

// fetchWindow implements windowSource: the validity window comes from the
// items as Fetch parsed them to check their shape.
func (s *httpSource) fetchWindow(ctx context.Context, req Request) (*Collateral, validityWindow, error) {
	c, p, err := s.fetch(ctx, req)
	if err != nil {
		return nil, validityWindow{}, err
	}
	w, err := p.window()
	if err != nil {
		return nil, validityWindow{}, err
	}
	return c, w, nil
}

// parsedItems holds the dates of the items of a collateral as they were
// parsed once.
type parsedItems struct {
	tcbInfo, qeIdentity validityWindow
	pckCRL, rootCRL     *x509.RevocationList
}

// window is the validity window of the items (see Collateral.NextUpdate).
func (p *parsedItems) window() (validityWindow, error) {
	w := p.tcbInfo
	w.add(p.qeIdentity.issue, p.qeIdentity.next)
	if err := w.addCRL(itemPCKCRL, p.pckCRL); err != nil {
		return w, err
	}
	return w, w.addCRL(itemRootCACRL, p.rootCRL)
}

// fetch is Fetch, also returning the dates of the items it parsed.
func (s *httpSource) fetch(ctx context.Context, req Request) (*Collateral, *parsedItems, error) {
	fmspc, err := checkRequest(req)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()

	c, p := new(Collateral), new(parsedItems)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		c.TCBInfo, c.TCBInfoSignature, c.TCBInfoIssuerChain, p.tcbInfo, err = s.fetchSigned(gctx,
			s.base+pathTCBInfo+fmspc, itemTCBInfo, "tcbInfo", headerTCBInfoChain, headerTCBInfoChainOld)
		return err
	})
	g.Go(func() error {
		var err error
		c.QEIdentity, c.QEIdentitySignature, c.QEIdentityIssuerChain, p.qeIdentity, err = s.fetchSigned(gctx,
			s.base+pathQEIdentity, itemQEIdentity, "enclaveIdentity", headerQEIdentityChain)
		return err
	})
	g.Go(func() error {
		var err error
		c.PCKCRL, c.PCKCRLIssuerChain, p.pckCRL, err = s.fetchCRL(gctx, s.base+pathPCKCRL+string(req.CA)+"&encoding=der", itemPCKCRL, headerPCKCRLChain)
		return err
	})
	g.Go(func() error {
		var err error
		c.RootCACRL, _, p.rootCRL, err = s.fetchCRL(gctx, s.rootCRLURL, itemRootCACRL, "")
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return c, p, nil
}

// checkRequest validates req and returns its FMSPC in upper case.
func checkRequest(req Request) (string, error) {
	if len(req.FMSPC) != 2*fmspcSize || !isHex([]byte(req.FMSPC)) {
		return "", fmt.Errorf("%w: FMSPC: expected %d hex digits, found %q", ErrInvalidRequest, 2*fmspcSize, clip.String(req.FMSPC, 32))
	}
	if req.CA != CAPlatform && req.CA != CAProcessor {
		return "", fmt.Errorf("%w: CA: expected %q or %q, found %q", ErrInvalidRequest, CAPlatform, CAProcessor, clip.String(string(req.CA), 32))
	}
	return strings.ToUpper(req.FMSPC), nil
}

// fetchSigned fetches a signed JSON document such as
// {"tcbInfo":{...},"signature":"hex"} and returns the exact bytes of the
// value under key, the signature, the issuer chain from the first of
// chainHeaders present and the value's issue date and next update.
func (s *httpSource) fetchSigned(ctx context.Context, url, item, key string, chainHeaders ...string) (value, sig, chain []byte, period validityWindow, err error) {
	resp, err := get(ctx, s.opts, url)
	if err != nil {
		return nil, nil, nil, period, err
	}
	value, sig, period, err = parseSigned(item, key, resp.body)
	if err != nil {
		return nil, nil, nil, period, fmt.Errorf("%s: %w", url, err)
	}
	chain, err = issuerChain(item, resp.header, chainHeaders...)
	if err != nil {
		return nil, nil, nil, period, fmt.Errorf("%s: %w", url, err)
	}
	return value, sig, chain, period, nil
}

// parseSigned splits a signed JSON document into the raw value under key,
// whose shape it checks, and the decoded signature; period is the value's
// issue date and next update.
func parseSigned(item, key string, body []byte) (value, sig []byte, period validityWindow, err error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, nil, period, decodeErr(item, err)
	}
	value, ok := doc[key]
	if !ok || string(value) == "null" {
		return nil, nil, period, formatErr(item, key, "expected a signed %s object, found none", key)
	}
	switch item {
	case itemTCBInfo:
		var t *TCBInfo
		if t, err = ParseTCBInfo(value); err == nil {
			period = validityWindow{t.IssueDate, t.NextUpdate}
		}
	default:
		var q *QEIdentity
		if q, err = ParseQEIdentity(value); err == nil {
			period = validityWindow{q.IssueDate, q.NextUpdate}
		}
	}
	if err != nil {
		return nil, nil, period, err
	}
	var sigHex string
	if err := json.Unmarshal(doc["signature"], &sigHex); err != nil {
		return nil, nil, period, formatErr(item, "signature", "expected a hex string, found %s", truncate(doc["signature"]))
	}
	sig, err = hex.DecodeString(sigHex)
	if err != nil {
		return nil, nil, period, formatErr(item, "signature", "expected hex digits: %w", err)
	}
	if err := checkSize(item, "signature", sig, signatureSize); err != nil {
		return nil, nil, period, err
	}
	return value, sig, period, nil
}

// fetchCRL fetches a CRL served as DER, PEM or hex and, when chainHeader is
// set, its issuer chain. It returns the CRL as it parsed it.
func (s *httpSource) fetchCRL(ctx context.Context, url, item, chainHeader string) (der, chain []byte, crl *x509.RevocationList, err error) {
	resp, err := get(ctx, s.opts, url)
	if err != nil {
		return nil, nil, nil, err
	}
	der, crl, err = decodeCRLBody(item, resp.body)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", url, err)
	}
	if chainHeader != "" {
		chain, err = issuerChain(item, resp.header, chainHeader)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", url, err)
		}
	}
	return der, chain, crl, nil
}

// issuerChain reads the URL-escaped PEM chain from the first of names
// present in h and checks that it parses.
func issuerChain(item string, h http.Header, names ...string) ([]byte, error) {
	for _, name := range names {
		v := h.Get(name)
		if v == "" {
			continue
		}
		// Intel percent-encodes (a space is %20), and '+' is a base64
		// digit; only a form-encoded value writes the space as '+'.
		unescape := url.PathUnescape
		if strings.Contains(v, "BEGIN+CERTIFICATE") {
			unescape = url.QueryUnescape
		}
		chain, err := unescape(v)
		if err != nil {
			return nil, &FormatError{Item: item, Field: name + " header", Err: err}
		}
		if _, err := parseChain(item, name+" header", []byte(chain)); err != nil {
			return nil, err
		}
		return []byte(chain), nil
	}
	return nil, formatErr(item, names[0]+" header", "expected a URL-escaped PEM issuer chain, found none")
}
