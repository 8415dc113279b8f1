package cvmtest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/agentfixture"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// agentClient starts a fake agent for opts and returns a cvm.Client of it.
func agentClient(t *testing.T, opts cvmtest.AgentOptions) (*cvmtest.Agent, *cvm.Client) {
	t.Helper()
	a, srv := cvmtest.StartAgent(t, opts)
	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: srv.Endpoint})
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return a, c
}

// testVerifier verifies against p's root with fresh collateral.
func testVerifier(t *testing.T, p *cvmtest.PKI) *verify.Verifier {
	t.Helper()
	c, err := p.Collateral(cvmtest.CollateralOptions{})
	require.NoError(t, err)
	v, err := verify.New(p.VerifyOptions(c))
	require.NoError(t, err)
	return v
}

// TestAgentEvidenceVerifies checks that what the fake agent answers
// GetQuote and Info with is evidence the verifier accepts for the app it
// simulates, bound to the report data asked for.
func TestAgentEvidenceVerifies(t *testing.T) {
	app := cvmtest.App{AppEvents: []eventlog.Event{eventlog.NewRuntimeEvent("app-started", []byte("v1"))}}
	a, c := agentClient(t, cvmtest.AgentOptions{App: app, Quote: cvmtest.QuoteOptions{Padding: 70}})
	ctx := context.Background()

	nonce := make([]byte, wire.NonceSize)
	_, _ = rand.Read(nonce)
	spki := []byte("a stand-in for a DER SubjectPublicKeyInfo")
	rd, err := wire.ReportData(nonce, spki)
	require.NoError(t, err)
	att, err := c.GetQuote(ctx, rd[:])
	require.NoError(t, err)
	assert.Equal(t, rd[:], att.ReportData)
	for _, e := range att.EventLog {
		if e.IMR == 3 {
			assert.Empty(t, e.Digest, "GetQuote logs runtime events without their digest")
		} else {
			assert.Empty(t, e.Payload, "GetQuote logs boot events without their payload")
		}
	}
	info, err := c.Info(ctx)
	require.NoError(t, err)

	r, err := testVerifier(t, a.PKI()).VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: info},
		&verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki}, nil)
	require.NoError(t, err)
	appID, instanceID, osImage, _ := app.Identity()
	h := app.ComposeHash()
	assert.Equal(t, appID, r.Dstack.Identity.AppID)
	assert.Equal(t, instanceID, r.Dstack.Identity.InstanceID)
	assert.Equal(t, osImage, r.Dstack.Identity.OSImageHash)
	assert.Equal(t, h[:], r.Dstack.Identity.ComposeHash)
	require.Len(t, r.Dstack.Identity.AppEvents, 1)
	assert.Equal(t, "app-started", r.Dstack.Identity.AppEvents[0].Event)

	// Info's claims agree with the verified quote.
	assert.Equal(t, hex.EncodeToString(r.Quote.Body.RTMR[3][:]), info.TCBInfo.RTMR3)
	assert.Equal(t, hex.EncodeToString(h[:]), info.ComposeHash)
	assert.Equal(t, app.ComposeText(), info.TCBInfo.AppCompose)
	assert.Len(t, info.TCBInfo.EventLog, len(app.EventLog()))
	for _, e := range info.TCBInfo.EventLog {
		assert.Len(t, e.Digest, eventlog.DigestSize, "Info logs every digest")
	}
}

// TestAgentEditEventLog checks that a lying agent's log is refused.
func TestAgentEditEventLog(t *testing.T) {
	a, c := agentClient(t, cvmtest.AgentOptions{EditEventLog: func(events []eventlog.Event) []eventlog.Event {
		for i := range events {
			if events[i].Event == "compose-hash" {
				events[i].Payload = bytes.Repeat([]byte{0xee}, 32)
			}
		}
		return events
	}})
	ctx := context.Background()
	att, err := c.GetQuote(ctx, nil)
	require.NoError(t, err)
	_, err = testVerifier(t, a.PKI()).VerifyEvidence(ctx, &verify.Evidence{Attestation: att}, nil, nil)
	require.Error(t, err)
	assert.Equal(t, verify.KindRTMRMismatch, verify.KindOf(err))
}

// TestAgentTLSKey checks GetTlsKey: a fresh key per call, a chain to the
// PKI's TLS CA in the KMS layout (or ending at the app CA for a local key
// provider), the names and usages asked for, and dstack's extensions.
func TestAgentTLSKey(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		app       cvmtest.App
		chainLen  int
		wantAppID bool
	}{
		{"kms", cvmtest.App{}, 3, true},
		{"local key provider", cvmtest.App{KeyProvider: &eventlog.KeyProvider{Name: "local-sgx", ID: "abcd"}}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, c := agentClient(t, cvmtest.AgentOptions{App: tt.app})
			opts := cvm.TLSKeyOptions{Subject: "app.example", AltNames: []string{"app.example", "127.0.0.1"}, UsageServerAuth: true}
			c1, err := c.GetTLSKey(ctx, opts)
			require.NoError(t, err)
			c2, err := c.GetTLSKey(ctx, opts)
			require.NoError(t, err)
			assert.NotEqual(t, c1.Leaf.RawSubjectPublicKeyInfo, c2.Leaf.RawSubjectPublicKeyInfo, "every call gives a fresh key")
			require.Len(t, c1.Certificate, tt.chainLen)

			leaf := c1.Leaf
			assert.Equal(t, "app.example", leaf.Subject.CommonName)
			assert.Equal(t, []string{"app.example"}, leaf.DNSNames)
			require.Len(t, leaf.IPAddresses, 1)
			assert.True(t, leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)))
			assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.ExtKeyUsage)
			assert.Equal(t, 1975, leaf.NotBefore.Year(), "rcgen's default notBefore")
			assert.WithinDuration(t, time.Now().AddDate(10, 0, 0), leaf.NotAfter, time.Minute)

			var usage []byte
			var appID []byte
			for _, e := range leaf.Extensions {
				switch e.Id.String() {
				case "1.3.6.1.4.1.62397.1.4":
					_, err := asn1.Unmarshal(e.Value, &usage)
					require.NoError(t, err)
				case "1.3.6.1.4.1.62397.1.3":
					_, err := asn1.Unmarshal(e.Value, &appID)
					require.NoError(t, err)
				}
			}
			assert.Equal(t, "app:custom", string(usage))
			wantID, _, _, _ := tt.app.Identity()
			if tt.wantAppID {
				assert.Equal(t, wantID, appID)
			} else {
				assert.Nil(t, appID)
			}

			inter := x509.NewCertPool()
			roots := a.PKI().TLSCAPool()
			for i, der := range c1.Certificate[1:] {
				cert, err := x509.ParseCertificate(der)
				require.NoError(t, err)
				if i == len(c1.Certificate)-2 && tt.chainLen == 2 {
					roots = x509.NewCertPool() // a local CA is its own root
					roots.AddCert(cert)
				}
				inter.AddCert(cert)
			}
			_, err = leaf.Verify(x509.VerifyOptions{DNSName: "app.example", Roots: roots, Intermediates: inter})
			require.NoError(t, err)
		})
	}
}

// TestAgentTLSKeyWindow checks that not_before and not_after are used.
func TestAgentTLSKeyWindow(t *testing.T) {
	_, c := agentClient(t, cvmtest.AgentOptions{})
	nb, na := time.Unix(1700000000, 0), time.Unix(1800000000, 0)
	cert, err := c.GetTLSKey(context.Background(), cvm.TLSKeyOptions{Subject: "x", NotBefore: nb, NotAfter: na})
	require.NoError(t, err)
	assert.True(t, cert.Leaf.NotBefore.Equal(nb))
	assert.True(t, cert.Leaf.NotAfter.Equal(na))
	assert.Empty(t, cert.Leaf.ExtKeyUsage)
}

// TestAgentCalls checks the per-method call counters.
func TestAgentCalls(t *testing.T) {
	a, c := agentClient(t, cvmtest.AgentOptions{})
	ctx := context.Background()
	_, err := c.GetQuote(ctx, make([]byte, 65))
	require.Error(t, err, "refused by the client: the agent is not called")
	_, err = c.GetQuote(ctx, []byte{1})
	require.NoError(t, err)
	_, err = c.Info(ctx)
	require.NoError(t, err)
	_, err = c.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), a.Calls(cvmtest.MethodGetQuote))
	assert.Equal(t, int64(2), a.Calls(cvmtest.MethodInfo))
	assert.Equal(t, int64(0), a.Calls(cvmtest.MethodGetTLSKey))
	assert.Equal(t, int64(0), a.Calls("Nope"))
}

// TestAgentListenTCP checks the agent on TCP, reached as a
// DSTACK_SIMULATOR_ENDPOINT http URL.
func TestAgentListenTCP(t *testing.T) {
	a, err := cvmtest.NewAgent(cvmtest.AgentOptions{})
	require.NoError(t, err)
	srv, err := a.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, srv.Endpoint)
	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: srv.Endpoint})
	require.NoError(t, err)
	info, err := c.Info(context.Background())
	require.NoError(t, err)
	h := (&cvmtest.App{}).ComposeHash()
	assert.Equal(t, hex.EncodeToString(h[:]), info.ComposeHash)
	c.CloseIdleConnections()

	_, err = a.Listen("udp", "127.0.0.1:0")
	assert.ErrorIs(t, err, cvmtest.ErrInvalidOptions)
}

// TestMRAggregatedInInfo checks Info's mr_aggregated against dstack's
// formula over the measurements tcb_info reports and the app's
// MR_CONFIG_ID (non-zero, so the three config registers are appended).
func TestMRAggregatedInInfo(t *testing.T) {
	_, srv := cvmtest.StartAgent(t, cvmtest.AgentOptions{})
	resp, body := agentfixture.Exchange(t, "unix", srv.Endpoint, []byte("GET /Info HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	require.Equal(t, 200, resp.StatusCode)
	var info struct {
		TCBInfo      string `json:"tcb_info"`
		MRAggregated string `json:"mr_aggregated"`
	}
	require.NoError(t, json.Unmarshal(body, &info))
	var tcb map[string]any
	require.NoError(t, json.Unmarshal([]byte(info.TCBInfo), &tcb))
	assert.Equal(t, info.MRAggregated, tcb["mr_aggregated"])

	app := cvmtest.App{}
	cfg := app.MRConfigID()
	h := sha256.New()
	for _, k := range []string{"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"} {
		b, err := hex.DecodeString(tcb[k].(string))
		require.NoError(t, err)
		require.Len(t, b, 48, k)
		h.Write(b)
	}
	h.Write(cfg[:])
	h.Write(make([]byte, 96)) // MR_OWNER, MR_OWNER_CONFIG
	assert.Equal(t, hex.EncodeToString(h.Sum(nil)), info.MRAggregated)
}

// TestAgentBodyLimit checks the real agent's request body bound: 10 MiB
// are read, one byte more is refused with its "payload too large".
func TestAgentBodyLimit(t *testing.T) {
	a, err := cvmtest.NewAgent(cvmtest.AgentOptions{})
	require.NoError(t, err)
	args := `{"report_data":"01"}`
	for _, tt := range []struct {
		size   int
		status int
		body   string
	}{
		{10 << 20, http.StatusOK, `"quote":`},
		{10<<20 + 1, http.StatusBadRequest, `"error": "payload too large"`},
	} {
		body := args + strings.Repeat(" ", tt.size-len(args))
		req := httptest.NewRequest(http.MethodPost, "/"+cvmtest.MethodGetQuote, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		assert.Equal(t, tt.status, rec.Code, "%d bytes", tt.size)
		assert.Contains(t, rec.Body.String(), tt.body, "%d bytes", tt.size)
	}
}
