package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Alert events, the event label of cvmgate_monitor_alerts_total.
const (
	alertFail       = "fail"       // a CVM went from passing (or unchecked) to failing
	alertRecover    = "recover"    // a failing CVM passed again
	alertCollateral = "collateral" // the collateral a CVM's verdict rests on expires soon
)

// alert is one message for the webhook.
type alert struct {
	event, cvm, text string
}

// alerter delivers alerts.
type alerter interface {
	send(ctx context.Context, a alert) error
}

// Webhook delivery bounds.
const (
	// webhookTimeout bounds one delivery attempt.
	webhookTimeout = 10 * time.Second
	// webhookAttempts is how often an alert is tried, with
	// webhookBackoff doubling between attempts, when the receiver is
	// unreachable or answers 429 or 5xx.
	webhookAttempts = 3
	webhookBackoff  = time.Second
	// maxAlertText bounds an alert's text.
	maxAlertText = 3000
)

// webhook posts alerts as Slack-compatible JSON, {"text": "..."}, which
// Slack's and Mattermost's incoming webhooks, and Discord's /slack
// endpoint, take as they are. Its URL usually holds a secret: it is never
// logged, and errors leave it out.
type webhook struct {
	url    string
	client *http.Client
	clock  clock
}

// newWebhook returns a webhook posting to rawURL, an http or https URL.
func newWebhook(rawURL string, c clock) (*webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("expected an http or https URL")
	}
	return &webhook{url: rawURL, client: &http.Client{Timeout: webhookTimeout}, clock: c}, nil
}

// webhookBody is what is posted.
type webhookBody struct {
	Text string `json:"text"`
}

// send posts a, trying again after a network failure, 429 or a 5xx
// answer.
func (w *webhook) send(ctx context.Context, a alert) error {
	text := a.text
	if len(text) > maxAlertText {
		text = text[:maxAlertText] + "..."
	}
	body, err := json.Marshal(webhookBody{Text: text})
	if err != nil {
		return err
	}
	backoff := webhookBackoff
	for attempt := 1; ; attempt++ {
		retry, err := w.post(ctx, body)
		if err == nil || !retry || attempt == webhookAttempts {
			return err
		}
		c, stop := w.clock.Timer(backoff)
		select {
		case <-ctx.Done():
			stop()
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-c:
		}
		backoff *= 2
	}
}

// post makes one delivery attempt and says whether another may succeed.
func (w *webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("webhook: invalid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		// A *url.Error names the URL, which holds the webhook's secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return retry, fmt.Errorf("webhook: answered %s: %s", resp.Status, strings.TrimSpace(string(reply)))
}
