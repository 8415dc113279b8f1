package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// A client that sent nonce checks that the quote also binds the TLS key it
// is talking to.
func ExampleCheckBinding() {
	nonce := make([]byte, 32) // in real use: 32 fresh random bytes
	spki := []byte("DER SubjectPublicKeyInfo of the peer's TLS leaf")

	// What an honest cvmgate CVM puts in REPORTDATA.
	reportData, _ := wire.ReportData(nonce, spki)

	err := verify.CheckBinding(reportData, verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki})
	fmt.Println("bound:", err == nil)

	// A relay shows its own certificate.
	err = verify.CheckBinding(reportData, verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: []byte("relay key")})
	fmt.Println(verify.KindOf(err))
	// Output:
	// bound: true
	// key_binding
}

// Verify a dstack CVM's evidence end to end. Here the CVM is simulated
// with cvmtest's test PKI; a real client verifies against Intel's root.
func ExampleVerifier_VerifyEvidence() {
	compose := []byte(`{"docker_compose_file":"services:\n  web:\n    image: nginx@sha256:` + strings.Repeat("ab", 32) + `\n"}`)
	composeHash := sha256.Sum256(compose)

	// The CVM's RTMR3 log, and the RTMR3 its TD holds after extending it.
	events := []eventlog.Event{
		eventlog.NewRuntimeEvent("app-id", composeHash[:20]),
		eventlog.NewRuntimeEvent("compose-hash", composeHash[:]),
		eventlog.NewRuntimeEvent("system-ready", nil),
	}
	rtmrs, _, _ := eventlog.Replay(events)

	// The client's nonce and the TLS key of the connection.
	nonce := bytes.Repeat([]byte{7}, 32)
	spki := []byte("DER SubjectPublicKeyInfo of the CVM's TLS leaf")
	var reportData [64]byte
	copy(reportData[:], nonce)
	spkiHash := sha256.Sum256(spki)
	copy(reportData[32:], spkiHash[:])

	pki, _ := cvmtest.NewPKI(cvmtest.PKIOptions{})
	rawQuote, _ := pki.Quote(cvmtest.QuoteOptions{ReportData: reportData, RTMRs: rtmrs})

	v, _ := verify.New(verify.Options{
		NoCollateral: true,
		TrustedRoots: []*x509.Certificate{pki.Root}, // tests only
		Now:          func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) },
	})
	report, err := v.VerifyEvidence(context.Background(),
		&verify.Evidence{Attestation: &wire.Attestation{Quote: rawQuote, EventLog: events}, AppCompose: compose},
		&verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki},
		verify.Accept{Statuses: []verify.TCBStatus{verify.StatusUnknown}}) // no collateral: the TCB is not rated
	if err != nil {
		fmt.Println(err)
		return
	}
	d := report.Dstack
	fmt.Println("compose hash:", hex.EncodeToString(d.Identity.ComposeHash[:4]))
	fmt.Println("binding:", d.Binding)
	for _, s := range d.Compose.Services {
		fmt.Println("service:", s.Name, "pinned:", s.Pinned)
	}
	// Output:
	// compose hash: e94c04f3
	// binding: spki
	// service: web pinned: true
}
