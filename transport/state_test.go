package transport

import (
	"crypto/tls"
	"sync"
	"testing"
	"time"
)

// TestUseRacingEviction: an origin evicted from the cache while a dial
// registers a connection with it. use must decide under the origin's lock
// (run with -race): a connection it registers is one evict returns to
// close, and one it refuses is not registered.
func TestUseRacingEviction(t *testing.T) {
	now := time.Now()
	k := keyID{1}
	for range 1000 {
		o := newOrigin("https://cvm.example:443")
		o.pin(k, &verdict{Verdict: Verdict{Expires: now.Add(time.Hour)}, refreshAt: now.Add(time.Hour)}, now)
		conn := &tls.Conn{}
		var ok bool
		var closing []*tls.Conn
		var wg sync.WaitGroup
		wg.Go(func() { ok, _ = o.use(k, conn, now) })
		wg.Go(func() { closing = o.evict() })
		wg.Wait()
		if ok && len(closing) != 1 {
			t.Fatalf("use registered the connection, evict returned %d to close", len(closing))
		}
		if !ok && len(closing) != 0 {
			t.Fatalf("use refused the connection, evict returned %d to close", len(closing))
		}
	}
}
