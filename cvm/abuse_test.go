package cvm_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/wire"
)

// TestHandlerQuoteFlood: of 100 concurrent attestation requests to a
// handler allowing 4 quotes at once, while the agent is slow, 4 reach the
// agent and 96 are answered 503 with Retry-After at once, without waiting
// for a slot; the 4 are answered when the agent is.
func TestHandlerQuoteFlood(t *testing.T) {
	const n, limit = 100, 4
	stub := &stubAgent{entered: make(chan struct{}, n), gate: make(chan struct{})}
	h, err := cvm.NewHandler(stub, nil, cvm.Options{MaxConcurrentQuotes: limit})
	require.NoError(t, err)
	ts, c := startSelfSigned(t, h) // HTTP/2: 100 streams on one connection

	type answer struct {
		status     int
		retryAfter string
	}
	answers := make(chan answer, n)
	for range n {
		go func() {
			resp, err := c.Get(ts.URL + attestationPath)
			if err != nil {
				answers <- answer{}
				return
			}
			resp.Body.Close()
			answers <- answer{resp.StatusCode, resp.Header.Get("Retry-After")}
		}()
	}
	for range n - limit {
		a := <-answers // the gate is still closed: these did not wait for a slot
		assert.Equal(t, http.StatusServiceUnavailable, a.status)
		assert.Equal(t, "1", a.retryAfter)
	}
	for range limit {
		<-stub.entered
	}
	close(stub.gate)
	for range limit {
		assert.Equal(t, http.StatusOK, (<-answers).status)
	}
	assert.EqualValues(t, limit, stub.quotes.Load(), "only the admitted requests reached the agent")
}

// logSignal is a slog handler that signals every record whose message
// contains a word.
type logSignal struct {
	word string
	ch   chan struct{}
}

func (l *logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, l.word) {
		l.ch <- struct{}{}
	}
	return nil
}
func (l *logSignal) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logSignal) WithGroup(string) slog.Handler      { return l }

// TestHandlerClientGoneFreesSlot: a client that gives up while its quote
// is being made ends the agent call and frees its slot, so that with one
// slot the next client is served.
func TestHandlerClientGoneFreesSlot(t *testing.T) {
	stub := &stubAgent{entered: make(chan struct{}, 2), gate: make(chan struct{})}
	gone := &logSignal{word: "client gone", ch: make(chan struct{}, 1)}
	h, err := cvm.NewHandler(stub, nil, cvm.Options{MaxConcurrentQuotes: 1, Logger: slog.New(gone)})
	require.NoError(t, err)
	ts, c := startSelfSigned(t, h)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+attestationPath, nil)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(req)
		done <- err
	}()
	<-stub.entered
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	<-gone.ch // logged after the slot is released

	close(stub.gate)
	resp, err := c.Get(ts.URL + attestationPath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 2, stub.quotes.Load())
}

// TestHandlerSlowReaderHoldsNoSlot: a client that asks for an attestation
// and then does not read it holds no quote slot while the answer waits to
// be written, so that with one slot the next client is served.
func TestHandlerSlowReaderHoldsNoSlot(t *testing.T) {
	// An answer (8 MiB of hex) larger than the socket buffers (a few MiB
	// for a client that does not read): writing it blocks.
	stub := &stubAgent{att: &wire.Attestation{Quote: bytes.Repeat([]byte{0xab}, 4<<20)}}
	h, err := cvm.NewHandler(stub, nil, cvm.Options{MaxConcurrentQuotes: 1})
	require.NoError(t, err)
	cert := testCert(t)
	ts := startTLS(t, h, &tls.Config{Certificates: []tls.Certificate{cert}})

	slow, err := tls.Dial("tcp", strings.TrimPrefix(ts.URL, "https://"), &tls.Config{RootCAs: certPool(cert), ServerName: "localhost", NextProtos: []string{"http/1.1"}})
	require.NoError(t, err)
	defer slow.Close()
	_, err = slow.Write([]byte("GET " + attestationPath + " HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	require.NoError(t, err)
	// The status line is written after the slot is released; the client
	// then stops reading.
	status, err := bufio.NewReader(slow).ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, status, "200")

	resp, err := tlsClient(t, certPool(cert), true).Get(ts.URL + attestationPath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 2, stub.quotes.Load())
}
