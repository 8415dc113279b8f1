package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebhookPostsSlackJSON: an alert is a POST of {"text": ...} as JSON,
// cut to maxAlertText.
func TestWebhookPostsSlackJSON(t *testing.T) {
	recv := newWebhookReceiver(t)
	w, err := newWebhook(recv.srv.URL+"/services/T000/B000/secret", newFakeClock(time.Now()))
	require.NoError(t, err)
	require.NoError(t, w.send(context.Background(), alert{event: alertFail, cvm: "a", text: "hello"}))
	require.NoError(t, w.send(context.Background(), alert{event: alertFail, cvm: "a", text: strings.Repeat("x", maxAlertText+10)}))
	texts := recv.Texts()
	require.Len(t, texts, 2)
	assert.Equal(t, "hello", texts[0])
	assert.Equal(t, strings.Repeat("x", maxAlertText)+"...", texts[1])
}

// TestWebhookRetries: 429, 5xx and network failures are tried again
// after a backoff on the monitor's clock, up to webhookAttempts; a 4xx is
// not. Errors never show the URL, which holds a secret.
func TestWebhookRetries(t *testing.T) {
	tests := map[string]struct {
		status   int
		attempts int
	}{
		"server error":      {http.StatusBadGateway, webhookAttempts},
		"too many requests": {http.StatusTooManyRequests, webhookAttempts},
		"client error":      {http.StatusNotFound, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			recv := newWebhookReceiver(t)
			recv.status.Store(int32(tc.status))
			clk := newFakeClock(time.Now())
			w, err := newWebhook(recv.srv.URL+"/hooks/secret-token", clk)
			require.NoError(t, err)
			done := make(chan error, 1)
			go func() { done <- w.send(context.Background(), alert{text: "x"}) }()
			backoff := webhookBackoff
			for i := range tc.attempts {
				<-recv.posts
				if i < tc.attempts-1 {
					clk.WaitTimers(t, 1)
					clk.Advance(backoff)
					backoff *= 2
				}
			}
			err = <-done
			require.Error(t, err)
			assert.Contains(t, err.Error(), http.StatusText(tc.status))
			assert.NotContains(t, err.Error(), "secret-token")
			assert.Len(t, recv.posts, 0, "no further attempt")
			assert.Equal(t, []time.Duration{webhookBackoff, 2 * webhookBackoff}[:tc.attempts-1], clk.Asked())
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		clk := newFakeClock(time.Now())
		w, err := newWebhook(closedURL(t)+"/hooks/secret-token", clk)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- w.send(context.Background(), alert{text: "x"}) }()
		for range webhookAttempts - 1 {
			clk.WaitTimers(t, 1)
			clk.Advance(time.Hour)
		}
		err = <-done
		require.Error(t, err)
		assert.Contains(t, err.Error(), "connection refused")
		assert.NotContains(t, err.Error(), "secret-token")
	})

	t.Run("recovers", func(t *testing.T) {
		recv := newWebhookReceiver(t)
		recv.status.Store(http.StatusServiceUnavailable)
		clk := newFakeClock(time.Now())
		w, err := newWebhook(recv.srv.URL, clk)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- w.send(context.Background(), alert{text: "back"}) }()
		<-recv.posts
		recv.status.Store(0)
		clk.WaitTimers(t, 1)
		clk.Advance(webhookBackoff)
		require.NoError(t, <-done)
		assert.Equal(t, []string{"back"}, recv.Texts())
	})
}

func TestNewWebhookRefusesNonHTTP(t *testing.T) {
	for _, u := range []string{"", "hooks.slack.com/x", "ftp://x/y", "https://", "://"} {
		_, err := newWebhook(u, wallClock{})
		assert.Error(t, err, u)
	}
}
