package verify_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// Verify a TDX quote. In production the zero Options verify against
// Intel's pinned root with collateral from Intel PCS; here a test PKI and
// its collateral stand in for Intel's.
func ExampleVerifier_Verify() {
	pki, err := cvmtest.NewPKI(cvmtest.PKIOptions{})
	if err != nil {
		panic(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	coll, err := pki.Collateral(cvmtest.CollateralOptions{Now: now})
	if err != nil {
		panic(err)
	}
	rawQuote, err := pki.Quote(cvmtest.QuoteOptions{ReportData: [64]byte{0xca, 0xfe}})
	if err != nil {
		panic(err)
	}

	v, err := verify.New(verify.Options{
		Collateral:   collateral.Static(coll, "example"),
		TrustedRoots: []*x509.Certificate{pki.Root}, // tests only
		Now:          func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	report, err := v.Verify(context.Background(), rawQuote, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(report.TCBStatus, report.FMSPC, report.PCKCA)
	fmt.Printf("report data %x...\n", report.Quote.Body.ReportData[:2])

	// A quote of another platform level is rejected with a typed error
	// that still carries the report, so callers can show the status.
	old, err := cvmtest.PlatformFor(verify.StatusOutOfDate)
	if err != nil {
		panic(err)
	}
	oldPKI, err := cvmtest.NewPKI(cvmtest.PKIOptions{TCB: &old.PCK})
	if err != nil {
		panic(err)
	}
	oldQuote, err := oldPKI.Quote(cvmtest.QuoteOptions{})
	if err != nil {
		panic(err)
	}
	_, err = v.Verify(context.Background(), oldQuote, nil)
	var verr *verify.Error
	if errors.As(err, &verr) && errors.Is(err, verify.KindTCBStatus) {
		fmt.Println(verr.Kind, verr.Report.TCBStatus, verr.Report.AdvisoryIDs)
	}
	// Output:
	// UpToDate C0DE6F000000 platform
	// report data cafe...
	// tcb_status OutOfDate [INTEL-SA-00837 INTEL-SA-00960]
}
