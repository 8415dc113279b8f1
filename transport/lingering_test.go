package transport_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lingering is a dialer whose connections, once closed, go unnoticed by a
// reader waiting on them until the test ends. It holds open the window in
// which http.Transport's pool still hands out a connection that the
// Transport closed under it; in a real run that window lasts until the
// pool's reader wakes, so a test that meets it only sometimes meets it
// here every time.
type lingering struct {
	release chan struct{}

	mu    sync.Mutex
	conns []net.Conn
}

// newLingering returns a lingering dialer whose connections all close when
// the test ends. Make it after the servers it dials, so that it releases
// its connections before they close.
func newLingering(t *testing.T) *lingering {
	l := &lingering{release: make(chan struct{})}
	t.Cleanup(func() {
		close(l.release)
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, c := range l.conns {
			c.Close()
		}
	})
	return l
}

// DialContext dials addr; it is the base transport's DialContext.
func (l *lingering) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conns = append(l.conns, c)
	l.mu.Unlock()
	return &lingeringConn{Conn: c, release: l.release}, nil
}

// dials returns how many connections l made.
func (l *lingering) dials() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// lingeringConn is a connection whose Close is seen by its reader only
// when the test ends; writes after Close fail as on any closed connection
// (crypto/tls refuses them).
type lingeringConn struct {
	net.Conn
	closed  atomic.Bool
	release <-chan struct{}
}

func (c *lingeringConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.closed.Load() {
		<-c.release
		return 0, net.ErrClosed
	}
	return n, err
}

func (c *lingeringConn) Close() error {
	c.closed.Store(true)
	return nil
}

// SetWriteDeadline marks the connection closed as soon as a deadline is
// set: crypto/tls sets one in Close just before it sends close_notify, and
// the peer's answer to that alert must not wake the reader either. Nothing
// else in the Transport's stack sets a write deadline.
func (c *lingeringConn) SetWriteDeadline(t time.Time) error {
	if !t.IsZero() {
		c.closed.Store(true)
	}
	return c.Conn.SetWriteDeadline(t)
}
