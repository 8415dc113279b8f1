package transport

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// keyID is the SHA-256 of a TLS leaf's DER SubjectPublicKeyInfo: what the
// Transport pins.
type keyID [sha256.Size]byte

// String is the key's lower-case hex.
func (k keyID) String() string { return hex.EncodeToString(k[:]) }

// keyOf returns the keyID of the leaf of cs, and false without one.
func keyOf(cs *tls.ConnectionState) (keyID, []byte, bool) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return keyID{}, nil, false
	}
	spki := cs.PeerCertificates[0].RawSubjectPublicKeyInfo
	return sha256.Sum256(spki), spki, true
}

// verdict is an attested key of an origin: what is kept of its report,
// when it lapses (Verdict.Expires), when to renew it, and the connections
// that present it.
type verdict struct {
	Verdict
	key        keyID
	refreshAt  time.Time
	refreshing bool
	conns      map[*tls.Conn]struct{}
}

// failure is a failed attestation of a key, returned again until until.
type failure struct {
	key   keyID
	err   error
	until time.Time
	count int
}

// origin is what the Transport knows of one origin: its attested keys and
// recent failures. The invariant: every connection the Transport has
// handed to its http.Transport for this origin is registered with a
// verdict that has not lapsed; when a verdict goes (lapse, eviction), its
// connections are closed.
type origin struct {
	name string

	mu sync.Mutex
	// keys and fails are short: most origins have one key, replicated
	// apps a few; slices keep a cached origin small.
	keys    []*verdict
	fails   []*failure
	evicted bool
}

func newOrigin(name string) *origin { return &origin{name: name} }

// addr is the origin's host and port, as dialPinned is given them.
func (o *origin) addr() string { return strings.TrimPrefix(o.name, "https://") }

// verdictOf returns k's verdict, lapsed or not, or nil. o.mu is held.
func (o *origin) verdictOf(k keyID) *verdict {
	for _, v := range o.keys {
		if v.key == k {
			return v
		}
	}
	return nil
}

// failureOf returns k's failure record, or nil. o.mu is held.
func (o *origin) failureOf(k keyID) *failure {
	for _, f := range o.fails {
		if f.key == k {
			return f
		}
	}
	return nil
}

// use registers conn with k's verdict when it is current at now, and
// reports whether it did and whether the verdict is due for renewal (the
// caller then renews it; use marks it as being renewed).
func (o *origin) use(k keyID, conn *tls.Conn, now time.Time) (ok, renew bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.current(k, now)
	if v == nil || o.evicted {
		return false, false
	}
	if v.conns == nil {
		v.conns = map[*tls.Conn]struct{}{}
	}
	v.conns[conn] = struct{}{}
	return true, o.dueLocked(k, v, now)
}

// serving returns k's current verdict, or nil, and whether it is due for
// renewal now (marked as being renewed when so): what RoundTrip needs of a
// response's key, under one lock.
func (o *origin) serving(k keyID, now time.Time) (*Verdict, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.current(k, now)
	if v == nil {
		return nil, false
	}
	return &v.Verdict, o.dueLocked(k, v, now)
}

func (o *origin) dueLocked(k keyID, v *verdict, now time.Time) bool {
	if v.refreshing || now.Before(v.refreshAt) {
		return false
	}
	if f := o.failureOf(k); f != nil && now.Before(f.until) {
		return false // a renewal failed recently: the old verdict serves until it lapses
	}
	v.refreshing = true
	return true
}

// current returns k's verdict when it has not lapsed at now. o.mu is held.
func (o *origin) current(k keyID, now time.Time) *verdict {
	v := o.verdictOf(k)
	if v == nil || !now.Before(v.Expires) {
		return nil
	}
	return v
}

// verdict returns k's current verdict, or nil.
func (o *origin) verdict(k keyID, now time.Time) *Verdict {
	o.mu.Lock()
	defer o.mu.Unlock()
	if v := o.current(k, now); v != nil {
		return &v.Verdict
	}
	return nil
}

// unregister forgets a closed connection.
func (o *origin) unregister(k keyID, conn *tls.Conn) {
	o.mu.Lock()
	if v := o.verdictOf(k); v != nil {
		delete(v.conns, conn)
	}
	o.mu.Unlock()
}

// pin records a new verdict for k, keeping the connections of the one it
// renews. It drops the verdicts that lapsed, and beyond
// DefaultMaxKeysPerOrigin keys the one that lapses first; it returns their
// connections for the caller to close outside the lock.
func (o *origin) pin(k keyID, v *verdict, now time.Time) []*tls.Conn {
	o.mu.Lock()
	defer o.mu.Unlock()
	v.key = k
	if old := o.verdictOf(k); old != nil {
		v.conns = old.conns
		o.dropLocked(func(x *verdict) bool { return x == old }) // its connections stay open: they present k
	}
	o.keys = append(o.keys, v)
	o.fails = slices.DeleteFunc(o.fails, func(f *failure) bool { return f.key == k })
	closing := o.expireLocked(now)
	for len(o.keys) > DefaultMaxKeysPerOrigin {
		first := o.keys[0]
		for _, x := range o.keys {
			if x.key != k && (first.key == k || x.Expires.Before(first.Expires)) {
				first = x
			}
		}
		closing = append(closing, o.dropLocked(func(x *verdict) bool { return x == first })...)
	}
	return closing
}

// lapsed reports whether a verdict of o has lapsed at now.
func (o *origin) lapsed(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.ContainsFunc(o.keys, func(v *verdict) bool { return !now.Before(v.Expires) })
}

// expire drops the verdicts that lapsed at now and returns their
// connections to close.
func (o *origin) expire(now time.Time) []*tls.Conn {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.expireLocked(now)
}

func (o *origin) expireLocked(now time.Time) []*tls.Conn {
	return o.dropLocked(func(v *verdict) bool { return !now.Before(v.Expires) })
}

// dropLocked removes the verdicts drop selects and returns their
// connections. It allocates nothing when it drops none.
func (o *origin) dropLocked(drop func(*verdict) bool) []*tls.Conn {
	var closing []*tls.Conn
	o.keys = slices.DeleteFunc(o.keys, func(v *verdict) bool {
		if !drop(v) {
			return false
		}
		for c := range v.conns {
			closing = append(closing, c)
		}
		return true
	})
	return closing
}

// renewed clears k's renewal mark after a renewal ended either way.
func (o *origin) renewed(k keyID) {
	o.mu.Lock()
	if v := o.verdictOf(k); v != nil {
		v.refreshing = false
	}
	o.mu.Unlock()
}

// settled reports whether k has an outcome that stands at now: a current
// verdict (err is nil) or a failure whose backoff lasts (err is it).
func (o *origin) settled(k keyID, now time.Time) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.current(k, now) != nil {
		return true, nil
	}
	if f := o.failureOf(k); f != nil && now.Before(f.until) {
		return true, f.err
	}
	return false, nil
}

// failed returns the failure recorded for k while its backoff lasts.
func (o *origin) failed(k keyID, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if f := o.failureOf(k); f != nil && now.Before(f.until) {
		return f.err
	}
	return nil
}

// fail records a failed attestation of k: it is returned again for base,
// doubled per consecutive failure, up to MaxFailureBackoff. At most
// DefaultMaxKeysPerOrigin failures are remembered.
func (o *origin) fail(k keyID, err error, now time.Time, base time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f := o.failureOf(k)
	if f == nil {
		if len(o.fails) >= DefaultMaxKeysPerOrigin {
			o.fails = slices.Delete(o.fails, 0, 1) // forget the oldest: the list stays bounded
		}
		f = &failure{key: k}
		o.fails = append(o.fails, f)
	}
	f.count++
	d := base << min(f.count-1, 16)
	if d <= 0 || d > MaxFailureBackoff {
		d = MaxFailureBackoff
	}
	f.err, f.until = err, now.Add(d)
}

// evict marks the origin gone from the Transport's cache and returns every
// connection to close.
func (o *origin) evict() []*tls.Conn {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.evicted = true
	return o.dropLocked(func(*verdict) bool { return true })
}

// closeAll closes conns; it is called without any lock held.
func closeAll(conns []*tls.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// trackedConn is the network connection under a pinned TLS connection: its
// Close tells the origin to forget the TLS connection.
type trackedConn struct {
	net.Conn
	onClose atomic.Pointer[func()]
	once    sync.Once
}

// Close runs the close hook once, then closes the connection.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		if f := c.onClose.Load(); f != nil {
			(*f)()
		}
	})
	return c.Conn.Close()
}
