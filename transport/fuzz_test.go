package transport_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// fuzzAnswers is what the fuzzed CVM answers next: its attestation and
// info documents and how each is framed.
type fuzzAnswers struct {
	framing   uint8
	att, info []byte
}

// Framings of a fuzzed answer, the low two bits for the attestation and
// the next two for the info document.
const (
	frameLength  = iota // 200 with an honest Content-Length
	frameChunked        // 200, streamed in two flushed parts, no Content-Length
	frameShort          // 200 with a Content-Length one byte longer than the body
	frameStatus         // the body under status 500
)

// serveFuzzed writes body framed as mode asks.
func serveFuzzed(w http.ResponseWriter, mode uint8, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	switch mode & 3 {
	case frameLength:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case frameChunked:
		w.WriteHeader(http.StatusOK)
		half := len(body) / 2
		_, _ = w.Write(body[:half])
		_ = http.NewResponseController(w).Flush()
		_, _ = w.Write(body[half:])
	case frameShort:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case frameStatus:
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(body)
	}
}

// fuzzCVM is the fuzzed CVM of one fuzzing process: a cvmtest server whose
// answers are the current input, with a TLS key fixed by a seed so that
// the stored corpus, whose quotes bind that key with RA-TLS, verifies in
// every run.
type fuzzCVM struct {
	srv    *cvmtest.Server
	tr     *transport.Transport
	cur    atomic.Pointer[fuzzAnswers]
	spki   []byte
	seeds  []fuzzAnswers
	failed error
}

var (
	fuzzOnce sync.Once
	fuzzSrv  *fuzzCVM
)

// fuzzKey is the fuzzed CVM's TLS key, derived from a fixed seed.
func fuzzKey() (*ecdsa.PrivateKey, error) {
	d := sha256.Sum256([]byte("cvmgate transport fuzz key"))
	return ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
}

// fuzzCertificate is a self-signed certificate for fuzzKey. Only its key
// is bound and checked (binding ratls); the rest varies between runs.
func fuzzCertificate() (tls.Certificate, error) {
	key, err := fuzzKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "cvmgate fuzz"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// startFuzzCVM starts the process's fuzzed CVM, once.
func startFuzzCVM() *fuzzCVM {
	fuzzOnce.Do(func() {
		f := &fuzzCVM{}
		fuzzSrv = f
		cert, err := fuzzCertificate()
		if err != nil {
			f.failed = err
			return
		}
		f.srv = cvmtest.NewServer(nil,
			cvmtest.WithTLSCertificate(cert),
			cvmtest.WithAttestationResponder(func(w http.ResponseWriter, r *http.Request) {
				a := f.cur.Load()
				serveFuzzed(w, a.framing, a.att)
			}),
			cvmtest.WithInfoResponder(func(w http.ResponseWriter, r *http.Request) {
				a := f.cur.Load()
				serveFuzzed(w, a.framing>>2, a.info)
			}),
		)
		f.spki = f.srv.Certificates()[0].RawSubjectPublicKeyInfo
		pol := f.srv.Policy()
		pol.Channel.Binding = verify.BindingRATLS
		if f.failed = pol.Validate(); f.failed != nil {
			return
		}
		f.tr, f.failed = transport.New(pol, append(f.srv.TransportOptions(), transport.WithAttestationTimeout(10*time.Second))...)
		if f.failed != nil {
			return
		}
		f.seeds, f.failed = fuzzSeeds(f.srv, f.spki)
	})
	return fuzzSrv
}

// fuzzSeeds are answers of the fuzzed CVM: the genuine ones in the shapes
// a dstack guest sends, and a few broken ones.
func fuzzSeeds(srv *cvmtest.Server, spki []byte) ([]fuzzAnswers, error) {
	app := srv.App()
	rd := wire.RATLSReportData(spki)
	att, err := srv.PKI().Attestation(&app, cvmtest.QuoteOptions{ReportData: rd, Padding: 70})
	if err != nil {
		return nil, err
	}
	info, err := app.Info()
	if err != nil {
		return nil, err
	}
	// The event log as a JSON array instead of a string holding one, and
	// tcb_info as an object.
	var doc map[string]any
	if err := json.Unmarshal(att, &doc); err != nil {
		return nil, err
	}
	var events any
	if err := json.Unmarshal([]byte(doc["event_log"].(string)), &events); err != nil {
		return nil, err
	}
	doc["event_log"] = events
	attArray, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	v5app := app
	v5, err := srv.PKI().Attestation(&v5app, cvmtest.QuoteOptions{ReportData: rd, Version: 5})
	if err != nil {
		return nil, err
	}
	return []fuzzAnswers{
		{frameLength, att, info},
		{frameChunked | frameChunked<<2, attArray, info},
		{frameLength, v5, info},
		{frameShort, att, info},
		{frameLength | frameStatus<<2, att, []byte(`{"error":"busy"}`)},
		{frameLength, []byte(`{"quote":"00"}`), []byte(`{}`)},
		{frameLength, bytes.Replace(att, []byte(`"quote":"`), []byte(`"quote":"0x`), 1), info},
	}, nil
}

// FuzzTransportAnswers: whatever a CVM answers to the attestation and info
// requests, and however it frames them, the transport's Attest returns a
// classified error (a kind for verify.KindOf, at a named step) or a
// report that really verified, never panics, and never lets a request
// reach the application. The CVM is a cvmtest server whose key is fixed,
// so that the corpus's quotes, bound to it with RA-TLS, reach every check.
func FuzzTransportAnswers(f *testing.F) {
	cvm := startFuzzCVM()
	require.NoError(f, cvm.failed)
	for _, s := range cvm.seeds {
		f.Add(s.framing, s.att, s.info)
	}
	f.Fuzz(func(t *testing.T, framing uint8, att, info []byte) {
		cvm.cur.Store(&fuzzAnswers{framing: framing, att: att, info: info})
		a, err := cvm.tr.Attest(context.Background(), cvm.srv.URL)
		require.Zero(t, cvm.srv.AppRequests())
		if err != nil {
			require.NotEmpty(t, verify.KindOf(err), "unclassified: %v", err)
			ae, ok := errorsAs(err)
			require.True(t, ok, "%T: %v", err, err)
			require.Contains(t, []string{transport.StepConnect, transport.StepAttestation, transport.StepInfo, transport.StepVerify}, ae.Step)
			require.Equal(t, err, a.Err)
			return
		}
		require.NotNil(t, a.Report)
		require.Equal(t, verify.BindingRATLS, a.Report.Dstack.Binding)
		require.Equal(t, verify.StatusUpToDate, a.Report.TCBStatus)
		require.Equal(t, att, a.AttestationDocument, "what verified is what was served")
		require.NotEqual(t, frameStatus, framing&3, "an answer under 500 is not evidence")
	})
}

// TestFuzzTransportSeeds checks that the fuzz target's seeds reach where
// they are meant to: the genuine answers verify end to end (so mutations
// of them reach every check), the broken ones fail at their step.
func TestFuzzTransportSeeds(t *testing.T) {
	cvm := startFuzzCVM()
	require.NoError(t, cvm.failed)
	want := []struct {
		step string
		kind verify.Kind
	}{
		{"", ""},
		{"", ""},
		{"", ""},
		{transport.StepAttestation, verify.KindUnreachable},
		{transport.StepInfo, verify.KindUnreachable},
		{transport.StepVerify, verify.KindMalformedQuote},
		{"", ""},
	}
	require.Len(t, cvm.seeds, len(want))
	for i, s := range cvm.seeds {
		cvm.cur.Store(&s)
		_, err := cvm.tr.Attest(context.Background(), cvm.srv.URL)
		if want[i].step == "" {
			require.NoError(t, err, "seed %d", i)
			continue
		}
		ae, ok := errorsAs(err)
		require.True(t, ok, "seed %d: %v", i, err)
		require.Equal(t, want[i].step, ae.Step, "seed %d: %v", i, err)
		require.Equal(t, want[i].kind, verify.KindOf(err), "seed %d: %v", i, err)
	}
}
