package cvmtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Errors of Getter, matched with errors.Is through the *Error it returns.
var (
	// ErrUnexpectedStatus reports an answer other than 200 OK.
	ErrUnexpectedStatus = errors.New("unexpected HTTP status")
	// ErrBodyTooLarge reports a body over MaxGetterBody.
	ErrBodyTooLarge = errors.New("response body too large")
)

// Limits of Getter.
const (
	// MaxGetterBody bounds the bodies Getter reads; real collateral
	// responses are a few KiB.
	MaxGetterBody = 1 << 20
	// GetterTimeout bounds each Getter request.
	GetterTimeout = 10 * time.Second
)

// Getter fetches from a PCSServer whatever URL it is asked for, keeping
// only the path and query: Intel PCS URLs and the root certificate's CRL
// distribution point all land on the fake server. It has the methods of
// go-tdx-guest's trust.HTTPSGetter and trust.ContextHTTPSGetter, so it can
// be that library's Options.Getter in cross-checks.
type Getter struct {
	base   string
	client *http.Client
}

// Getter returns a Getter for s.
func (s *PCSServer) Getter() *Getter {
	return &Getter{base: s.URL, client: s.Client()}
}

// Get is GetContext with a background context.
func (g *Getter) Get(rawURL string) (map[string][]string, []byte, error) {
	return g.GetContext(context.Background(), rawURL)
}

// GetContext fetches rawURL's path and query from the fake server and
// returns the response headers and body. Errors are *Error; a status
// other than 200 matches ErrUnexpectedStatus and a body over MaxGetterBody
// ErrBodyTooLarge.
func (g *Getter) GetContext(ctx context.Context, rawURL string) (map[string][]string, []byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, &Error{Op: "get", Err: err}
	}
	op := "get " + u.Path
	target := g.base + u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}

	ctx, cancel := context.WithTimeout(ctx, GetterTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, &Error{Op: op, Err: err}
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, nil, &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxGetterBody+1))
	if err != nil {
		return nil, nil, &Error{Op: op, Err: err}
	}
	if len(body) > MaxGetterBody {
		return nil, nil, &Error{Op: op, Err: fmt.Errorf("%w: expected at most %d bytes, found more", ErrBodyTooLarge, MaxGetterBody)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, &Error{Op: op, Err: fmt.Errorf("%w: expected 200, found %d", ErrUnexpectedStatus, resp.StatusCode)}
	}
	return resp.Header, body, nil
}
