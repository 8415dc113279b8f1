package transport

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// maxRenewDials bounds the connections a background renewal opens to find
// the key it renews among replicas.
const maxRenewDials = 3

// attestShared attests key k of origin o over conn, sharing one attestation
// among all who meet k at once. consumed reports whether this caller's conn
// carried the attestation (and is now closed); a caller that only waited
// keeps its conn. A first attestation (not a renewal) of a key that is
// pinned or failed by the time it would start does not start: the
// leader's conn is closed and the standing outcome returned. The wait ends early when ctx is done; the attestation
// itself runs on its own timeout and is never cancelled by a caller.
func (t *Transport) attestShared(ctx context.Context, o *origin, pol *policy.Policy, k keyID, conn *tls.Conn, renewal bool) (consumed bool, err error) {
	var leader atomic.Bool
	ch := t.flights.DoChan(o.name+" "+k.String(), func() (any, error) {
		leader.Store(true)
		if !renewal {
			// A flight for k that ended after the caller looked at o and
			// before this one began has decided k: its verdict or its
			// failure stands, and k is not attested again.
			if settled, err := o.settled(k, t.cfg.now()); settled {
				conn.Close()
				return nil, err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), t.cfg.timeout)
		defer cancel()
		_, err := t.attest(ctx, o, pol, k, conn, renewal)
		return nil, err
	})
	select {
	case r := <-ch:
		return leader.Load(), r.Err
	case <-ctx.Done():
		return leader.Load(), &AttestationError{Origin: o.name, Step: StepConnect, SPKISHA256: k.String(), Err: unreachable("wait for attestation", ctx.Err())}
	}
}

// attest fetches the evidence over conn, which it consumes, verifies it
// under pol and pins the attested key, or records the failure. It reports
// the attestation to the observer and returns it.
func (t *Transport) attest(ctx context.Context, o *origin, pol *policy.Policy, k keyID, conn *tls.Conn, renewal bool) (Attestation, error) {
	start := t.cfg.now()
	ev, err := t.fetchAndVerify(ctx, o.name, pol, conn)
	if err == nil && ev.key != k {
		// The attestation came over another connection (the first one was
		// closed under it): that key is attested, k is not.
		t.pinVerdict(o, ev.key, ev.report, pol, start)
		err = &AttestationError{Origin: o.name, Step: StepAttestation, SPKISHA256: k.String(),
			Err: &verify.Error{Kind: verify.KindKeyBinding, Check: "attestation connection", Expected: "the key being attested", Found: "another key"}}
	}
	a := Attestation{Origin: o.name, SPKISHA256: k.String(), Duration: t.cfg.now().Sub(start), Refresh: renewal,
		Nonce: ev.nonce, AttestationDocument: ev.attestation, InfoDocument: ev.info}
	if err != nil {
		o.fail(k, err, t.cfg.now(), t.cfg.backoff)
		a.Err = err
		if e := (*verify.Error)(nil); errors.As(err, &e) {
			a.Report = e.Report
		}
		t.observe(a)
		return a, err
	}
	a.Expires = t.pinVerdict(o, k, ev.report, pol, start)
	a.Report = ev.report
	t.observe(a)
	return a, nil
}

// evidence is what one attestation fetched and established: the key of
// the connection the attestation came over, the documents as received and
// the verified report.
type evidence struct {
	key               keyID
	nonce             []byte
	attestation, info []byte
	report            *verify.Report
}

// refreshLead is the part of a verdict's lifetime that is left when it is
// due for renewal.
const refreshLead = 0.2

// pinVerdict pins k with the Verdict of report. The verdict lapses at the
// earliest of the report's ValidUntil and the policy's max_age from when
// the attestation started, and is due for renewal after 1-refreshLead of
// that lifetime.
func (t *Transport) pinVerdict(o *origin, k keyID, report *verify.Report, pol *policy.Policy, start time.Time) (expires time.Time) {
	expires = start.Add(time.Duration(pol.Attestation.MaxAge))
	if !report.ValidUntil.IsZero() && report.ValidUntil.Before(expires) {
		expires = report.ValidUntil
	}
	life := expires.Sub(start)
	v := &verdict{Verdict: newVerdict(o.name, k, report, expires), refreshAt: start.Add(life - time.Duration(float64(life)*refreshLead))}
	closeAll(o.pin(k, v, t.cfg.now()))
	return expires
}

// fetchAndVerify gets the attestation (with a fresh nonce) and the info
// document over conn, in parallel when the connection speaks HTTP/2, and
// verifies them. It returns the key of the connection the attestation
// actually came over, which the binding is checked against.
func (t *Transport) fetchAndVerify(ctx context.Context, name string, pol *policy.Policy, conn *tls.Conn) (*evidence, error) {
	ev := &evidence{}
	nonce := make([]byte, wire.NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return ev, &AttestationError{Origin: name, Step: StepAttestation, Err: err}
	}
	ev.nonce = nonce
	client, closeConns := t.oneShotClient(conn, pol)
	defer closeConns()

	attURL := name + t.cfg.attestPath + "?" + wire.ReportDataParam + "=" + hex.EncodeToString(nonce)
	infoURL := name + t.cfg.infoPath

	var attTLS *tls.ConnectionState
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		ev.attestation, attTLS, err = get(gctx, client, attURL)
		if err != nil {
			return &AttestationError{Origin: name, Step: StepAttestation, Err: err}
		}
		return nil
	})
	g.Go(func() error {
		var err error
		ev.info, _, err = get(gctx, client, infoURL)
		if err != nil {
			return &AttestationError{Origin: name, Step: StepInfo, Err: err}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return ev, err
	}
	k, spki, ok := keyOf(attTLS)
	if !ok {
		return ev, &AttestationError{Origin: name, Step: StepAttestation, Err: unreachable("attestation", fmt.Errorf("no TLS certificate on the attestation's connection"))}
	}
	ev.key = k
	fail := func(step string, err error) (*evidence, error) {
		return ev, &AttestationError{Origin: name, Step: step, SPKISHA256: k.String(), Err: err}
	}
	att, err := wire.ParseAttestation(ev.attestation)
	if err != nil {
		return fail(StepAttestation, evidenceError(err))
	}
	info, err := wire.ParseInfo(ev.info)
	if err != nil {
		return fail(StepInfo, evidenceError(err))
	}
	in := &verify.Evidence{Attestation: att}
	if info.TCBInfo.AppCompose != "" {
		// The compose is checked only where the CVM publishes it (dstack's
		// public_tcbinfo); a policy that needs it fails without it.
		in.Info = info
	}
	b := &verify.Binding{Mode: pol.Channel.Binding, SPKI: spki}
	if b.Mode != verify.BindingRATLS {
		b.Nonce = nonce
	}
	if ev.report, err = t.verifier.VerifyEvidence(ctx, in, b, pol); err != nil {
		return fail(StepVerify, err)
	}
	return ev, nil
}

// evidenceError gives a document parse error its verify kind.
func evidenceError(err error) error {
	return &verify.Error{Kind: verify.KindOf(err), Check: "evidence document", Err: err}
}

// get fetches url with client, bounding the body, and returns it with the
// TLS state of the connection it came over. Anything but 200 is refused.
func get(ctx context.Context, client *http.Client, url string) ([]byte, *tls.ConnectionState, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, unreachable("fetch", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, nil, unreachable("fetch", fmt.Errorf("%s answered %s", req.URL.Path, resp.Status))
	}
	if resp.ContentLength > wire.MaxDocumentSize {
		// Refused on its declared size, without reading a byte of it.
		return nil, nil, tooLarge(limits.TooLarge(wire.MaxDocumentSize, fmt.Sprintf("%d bytes (Content-Length)", resp.ContentLength)))
	}
	body, err := limits.ReadAll(resp.Body, wire.MaxDocumentSize)
	if err != nil {
		if errors.Is(err, limits.ErrTooLarge) {
			return nil, nil, tooLarge(err)
		}
		return nil, nil, unreachable("read", err)
	}
	return body, resp.TLS, nil
}

// tooLarge is the refusal of a document over wire.MaxDocumentSize.
func tooLarge(err error) error {
	return &verify.Error{Kind: verify.KindMalformedEvidence, Check: "evidence document size", Err: err}
}

// oneShotClient sends the attestation requests over conn. Should the
// server close conn before both documents are fetched, further requests
// use new connections; the binding is checked against the key of the
// connection the attestation came over, whichever it was. closeConns
// closes every connection the client made, conn included, and any still
// being dialed when it returns: a request cancelled because the other
// failed can leave its HTTP/2 connection busy past CloseIdleConnections,
// and a dial outlives the request that started it, so neither idleness
// nor the requests can be relied on to end them.
func (t *Transport) oneShotClient(conn *tls.Conn, pol *policy.Policy) (client *http.Client, closeConns func()) {
	var (
		used   atomic.Bool
		mu     sync.Mutex
		conns  = []net.Conn{conn}
		closed bool
	)
	track := func(c net.Conn) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			c.Close()
			return nil, net.ErrClosed
		}
		conns = append(conns, c)
		return c, nil
	}
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			if used.CompareAndSwap(false, true) {
				return conn, nil
			}
			c, _, err := t.connect(ctx, addr, pol)
			if err != nil {
				return nil, err
			}
			return track(c)
		},
		ForceAttemptHTTP2:      t.h2,
		MaxConnsPerHost:        1,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true,
		ResponseHeaderTimeout:  t.cfg.timeout,
	}
	client = &http.Client{
		Transport: tr,
		// An attestation is answered in place; a redirect is refused.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return client, func() {
		mu.Lock()
		closed = true
		all := conns
		conns = nil
		mu.Unlock()
		for _, c := range all {
			c.Close()
		}
		tr.CloseIdleConnections()
	}
}

// renew attests k of o again in the background, before its verdict lapses,
// while the old verdict still serves. Replicas present other keys: it dials
// up to maxRenewDials times to meet k, attesting on the way the keys met
// whose verdicts are not current.
func (t *Transport) renew(o *origin, k keyID) {
	go func() {
		defer o.renewed(k)
		pol, err := t.policyFor(o.name)
		if err != nil {
			return
		}
		for range maxRenewDials {
			ctx, cancel := context.WithTimeout(context.Background(), t.cfg.timeout)
			got, err := t.attestMet(ctx, o, pol, &k)
			cancel()
			if err != nil {
				t.logf("renewal: connect", o.name, k, err)
				return
			}
			if got == k {
				return
			}
		}
	}()
}

// attestMet connects to o and attests the key the connection presents,
// unless that key's verdict is current and it is not the key being renewed
// (renewing, nil outside a renewal): then it is another replica's, and the
// connection is closed. It returns the key met. Its error is the
// connection's: an attestation observes and records its own outcome.
func (t *Transport) attestMet(ctx context.Context, o *origin, pol *policy.Policy, renewing *keyID) (keyID, error) {
	conn, got, err := t.connect(ctx, o.addr(), pol)
	if err != nil {
		return keyID{}, err
	}
	if (renewing == nil || got != *renewing) && o.verdict(got, t.cfg.now()) != nil {
		conn.Close()
		return got, nil
	}
	if consumed, _ := t.attestShared(ctx, o, pol, got, conn, renewing != nil); !consumed {
		conn.Close()
	}
	return got, nil
}
