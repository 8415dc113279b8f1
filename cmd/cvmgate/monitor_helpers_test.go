package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitLimit bounds every wait of a test for an event, so that a bug fails
// the test instead of hanging it. It is never a synchronisation.
const waitLimit = 30 * time.Second

// fakeClock is a clock whose time moves only when a test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	asked   []time.Duration // every duration a timer was made for
	changed chan struct{}   // closed and replaced when timers change
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Timer fires at once for d <= 0, otherwise when Advance reaches it.
func (c *fakeClock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.asked = append(c.asked, d)
	if d <= 0 {
		t.c <- c.now
	} else {
		c.timers = append(c.timers, t)
	}
	c.notify()
	return t.c, func() bool { return c.stop(t) }
}

func (c *fakeClock) stop(t *fakeTimer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.timers {
		if p == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			c.notify()
			return true
		}
	}
	return false
}

// notify wakes waiters; c.mu is held.
func (c *fakeClock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the time on by d and fires the timers it reaches.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = kept
	c.notify()
}

// WaitTimers waits until n timers are pending.
func (c *fakeClock) WaitTimers(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		c.mu.Lock()
		got, ch := len(c.timers), c.changed
		c.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited for %d pending timers, have %d", n, got)
		}
	}
}

// Asked returns the durations timers were made for.
func (c *fakeClock) Asked() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration{}, c.asked...)
}

// switchAddr is a TCP address on loopback that forwards each connection,
// bytes as they are, to the backend set last: a CVM replaced behind its
// address, with TLS end to end to whichever backend answers.
type switchAddr struct {
	ln      net.Listener
	backend atomic.Pointer[string]
}

func newSwitch(t *testing.T, backendURL string) *switchAddr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &switchAddr{ln: ln}
	s.set(backendURL)
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// URL is the switch's https URL.
func (s *switchAddr) URL() string { return "https://" + s.ln.Addr().String() }

// set makes new connections go to the host of backendURL.
func (s *switchAddr) set(backendURL string) {
	host := backendURL[len("https://"):]
	s.backend.Store(&host)
}

func (s *switchAddr) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			b, err := net.Dial("tcp", *s.backend.Load())
			if err != nil {
				return
			}
			defer b.Close()
			go func() { io.Copy(b, c); b.Close() }()
			io.Copy(c, b)
		}()
	}
}

// webhookReceiver is a local webhook that records the alerts posted.
type webhookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	texts  []string
	status atomic.Int32 // the status to answer; 0 means 200
	posts  chan string
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	w := &webhookReceiver{posts: make(chan string, 100)}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(data, &body) != nil {
			http.Error(rw, "expected a JSON POST", http.StatusBadRequest)
			return
		}
		text, _ := body["text"].(string)
		if len(body) != 1 || text == "" {
			http.Error(rw, "expected {\"text\": ...} only", http.StatusBadRequest)
			return
		}
		if s := w.status.Load(); s != 0 {
			http.Error(rw, "failing on purpose", int(s))
			w.posts <- ""
			return
		}
		w.mu.Lock()
		w.texts = append(w.texts, text)
		w.mu.Unlock()
		w.posts <- text
		io.WriteString(rw, "ok")
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// Texts returns the alerts received.
func (w *webhookReceiver) Texts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.texts...)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// logger or a process and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// jsonLines decodes each line of s that starts with '{' as a JSON
// object, skipping the CLI's plain-text messages.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split([]byte(s), []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(line, &m), "log line %q", line)
		out = append(out, m)
	}
	return out
}
