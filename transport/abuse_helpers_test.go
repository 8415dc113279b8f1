package transport_test

import (
	"errors"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
)

// cost is what an abusive CVM cost the client: wall time, bytes allocated
// meanwhile (by the whole process, the in-process server included), heap
// still held afterwards, and goroutines left over.
type cost struct {
	elapsed    time.Duration
	allocated  uint64
	retained   int64
	goroutines int
}

// heapStats collects garbage and returns the live heap and the bytes
// allocated so far.
func heapStats() (live, total uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.TotalAlloc
}

// measure runs f and returns its cost. settle runs after f and before
// the heap is measured again (closing connections, say); it is not timed.
func measure(t *testing.T, f func(), settle func()) cost {
	t.Helper()
	g0 := runtime.NumGoroutine()
	live0, total0 := heapStats()
	start := time.Now()
	f()
	elapsed := time.Since(start)
	if settle != nil {
		settle()
	}
	live1, total1 := heapStats()
	c := cost{elapsed: elapsed, allocated: total1 - total0, retained: int64(live1) - int64(live0), goroutines: runtime.NumGoroutine() - g0}
	t.Logf("cost: %v, %.1f MiB allocated, %+.1f MiB retained, %+d goroutines",
		c.elapsed.Round(time.Millisecond), mib(c.allocated), float64(c.retained)/(1<<20), c.goroutines)
	return c
}

// measureGet measures a GET of url through tr, its idle connections closed
// before the heap is measured again, and returns the cost and the error.
func measureGet(t *testing.T, tr *transport.Transport, url string) (cost, error) {
	t.Helper()
	var err error
	c := measure(t, func() {
		var resp *http.Response
		resp, err = tr.Client().Get(url)
		drain(resp)
	}, tr.CloseIdleConnections)
	return c, err
}

// settledGoroutines waits, up to limit, for the goroutines to number at
// most want (connections a test closed end their goroutines
// asynchronously, the server's side in particular), and returns how many
// there are.
func settledGoroutines(want int, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for runtime.NumGoroutine() > want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return runtime.NumGoroutine()
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// abuseTimeout is the attestation timeout of the abuse tests that wait
// for it: short, so that they stay fast.
const abuseTimeout = 500 * time.Millisecond

// slack is what a bounded operation may take beyond its bound on a loaded
// CI machine under the race detector. It is less than the 10 seconds of
// http.DefaultTransport's TLSHandshakeTimeout, which must not be what
// bounds a handshake.
const slack = 5 * time.Second

// abuseTransport returns a transport for srv with attestation timeout d
// and opts.
func abuseTransport(t *testing.T, srv *cvmtest.Server, d time.Duration, opts ...transport.Option) *transport.Transport {
	t.Helper()
	return newTransport(t, srv.Policy(), srv, append([]transport.Option{transport.WithAttestationTimeout(d)}, opts...)...)
}

// tarpit is a TCP listener that accepts connections and never answers:
// a host that completes the TCP handshake and nothing else. It counts the
// connections it holds and sees the client close.
type tarpit struct {
	ln net.Listener

	mu      sync.Mutex
	open    int
	changed chan struct{} // closed and replaced on every change of open
	conns   []net.Conn
}

func newTarpit(t *testing.T) *tarpit {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tarpit{ln: ln, changed: make(chan struct{})}
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *tarpit) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.add(c, 1)
		go func() {
			// Read until the client closes; never write.
			buf := make([]byte, 512)
			for {
				if _, err := c.Read(buf); err != nil {
					p.add(nil, -1)
					return
				}
			}
		}()
	}
}

func (p *tarpit) add(c net.Conn, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open += n
	if c != nil {
		p.conns = append(p.conns, c)
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// URL is the tarpit's https URL.
func (p *tarpit) URL() string { return "https://" + p.ln.Addr().String() }

// waitAllClosed waits until the client has closed every connection it
// opened, or fails after limit.
func (p *tarpit) waitAllClosed(t *testing.T, limit time.Duration) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		open, ch := p.open, p.changed
		p.mu.Unlock()
		if open == 0 {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("the client still holds %d connections to the tarpit after %v", open, limit)
		}
	}
}

func (p *tarpit) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// errorsAs reports whether err is an *transport.AttestationError and
// returns it.
func errorsAs(err error) (*transport.AttestationError, bool) {
	var ae *transport.AttestationError
	ok := errors.As(err, &ae)
	return ae, ok
}

// drain closes the body of a response, if there is one.
func drain(resp *http.Response) {
	if resp != nil {
		resp.Body.Close()
	}
}
