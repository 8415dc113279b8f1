package cvmtest

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// handoff accepts connections on one listener and hands each to the
// current queue, so that the http.Server behind one address can be
// replaced (RotateKey) without ever closing the address.
type handoff struct {
	ln   net.Listener
	done chan struct{}

	mu  sync.Mutex
	cur *connQueue
}

// newHandoff starts accepting on ln.
func newHandoff(ln net.Listener) *handoff {
	h := &handoff{ln: ln, done: make(chan struct{})}
	go h.loop()
	return h
}

func (h *handoff) loop() {
	defer close(h.done)
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.deliver(c)
	}
}

// deliver gives c to the current queue; if that queue is retired while c
// waits, to its successor; with none, c is closed.
func (h *handoff) deliver(c net.Conn) {
	for {
		h.mu.Lock()
		q := h.cur
		h.mu.Unlock()
		if q == nil {
			_ = c.Close()
			return
		}
		select {
		case q.ch <- c:
			return
		case <-q.closed:
			h.mu.Lock()
			retired := h.cur == q
			h.mu.Unlock()
			if retired {
				_ = c.Close()
				return
			}
		}
	}
}

// next makes a new queue current and returns it.
func (h *handoff) next() *connQueue {
	q := &connQueue{ch: make(chan net.Conn), closed: make(chan struct{}), addr: h.ln.Addr()}
	h.mu.Lock()
	h.cur = q
	h.mu.Unlock()
	return q
}

// Close stops accepting and closes the address.
func (h *handoff) Close() {
	_ = h.ln.Close()
	<-h.done
	h.mu.Lock()
	h.cur = nil
	h.mu.Unlock()
}

// connQueue is a net.Listener fed by a handoff.
type connQueue struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
	addr   net.Addr
}

// Accept returns the next connection handed over.
func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.closed:
		return nil, net.ErrClosed
	}
}

// Close retires the queue; the handoff's address stays open.
func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.closed) })
	return nil
}

// Addr returns the handoff's address.
func (q *connQueue) Addr() net.Addr { return q.addr }

// generation is one http.Server of a Server's address, and the states of
// its connections.
type generation struct {
	srv    *http.Server
	queue  *connQueue
	served chan struct{} // closed when Serve returns
	fresh  connStates
}

// connStates tracks which connections of a generation are still new:
// accepted, their first request (or HTTP/2 preface) not yet read.
type connStates struct {
	mu      sync.Mutex
	fresh   map[net.Conn]struct{}
	changed chan struct{} // closed and replaced on every change
}

// hook is the http.Server.ConnState hook.
func (c *connStates) hook(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fresh == nil {
		c.fresh = map[net.Conn]struct{}{}
	}
	if st == http.StateNew {
		c.fresh[conn] = struct{}{}
	} else {
		delete(c.fresh, conn)
	}
	if c.changed != nil {
		close(c.changed)
	}
	c.changed = make(chan struct{})
}

// waitNoneFresh waits until no connection is new, or ctx ends.
func (c *connStates) waitNoneFresh(ctx context.Context) {
	for {
		c.mu.Lock()
		n := len(c.fresh)
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// retire closes a generation's connections gracefully: keep-alives off
// (idle HTTP/1.1 connections are closed, the others after their next
// answer), no more connections accepted, then, once none is still new,
// Shutdown, which sends HTTP/2 connections a GOAWAY. net/http drops a
// request read after Shutdown on a new connection, which a client cannot
// retry; waiting for the new ones to be served first avoids that.
func (g *generation) retire() {
	g.srv.SetKeepAlivesEnabled(false)
	// Once Serve has returned, every connection it accepted is tracked.
	_ = g.queue.Close()
	<-g.served
	ctx, cancel := context.WithTimeout(context.Background(), RotateDrainTimeout)
	defer cancel()
	g.fresh.waitNoneFresh(ctx)
	if err := g.srv.Shutdown(ctx); err != nil {
		_ = g.srv.Close()
	}
}
