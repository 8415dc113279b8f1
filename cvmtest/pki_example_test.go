package cvmtest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// A test PKI signs quotes that parse like real ones; a verifier accepts
// them once told to trust the PKI's root.
func ExampleNewPKI() {
	p, err := cvmtest.NewPKI(cvmtest.PKIOptions{Seed: []byte("example")})
	if err != nil {
		log.Fatal(err)
	}
	raw, err := p.Quote(cvmtest.QuoteOptions{ReportData: [64]byte{0xca, 0xfe}})
	if err != nil {
		log.Fatal(err)
	}
	q, err := quote.Parse(raw)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Root.Subject.CommonName)
	fmt.Println(p.PCK.Issuer.CommonName)
	fmt.Printf("quote v%d, report data %x..., FMSPC %s\n", q.Header.Version, q.Body.ReportData[:2], p.FMSPC())
	// Output:
	// Intel SGX Root CA
	// Intel SGX PCK Platform CA
	// quote v4, report data cafe..., FMSPC C0DE6F000000
}

// Presets say which inputs the default collateral rates with a status.
func ExamplePlatformFor() {
	pl, err := cvmtest.PlatformFor("OutOfDate")
	if err != nil {
		log.Fatal(err)
	}
	p, err := cvmtest.NewPKI(cvmtest.PKIOptions{TCB: &pl.PCK})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := p.Quote(cvmtest.QuoteOptions{TEETCBSVN: pl.TEETCBSVN}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(pl.Status, pl.TCBDate.Format(time.DateOnly), pl.AdvisoryIDs)
	// Output: OutOfDate 2023-08-09 [INTEL-SA-00837 INTEL-SA-00960]
}

// A fake PCS serves signed collateral the way Intel does; any PCS or PCCS
// client can fetch from it.
func ExampleNewPCSServer() {
	p, err := cvmtest.NewPKI(cvmtest.PKIOptions{})
	if err != nil {
		log.Fatal(err)
	}
	c, err := p.Collateral(cvmtest.CollateralOptions{})
	if err != nil {
		log.Fatal(err)
	}
	pcs := cvmtest.NewPCSServer(c, p)
	defer pcs.Close()

	src, err := collateral.NewPCCS(pcs.URL, collateral.HTTPOptions{Client: pcs.Client()})
	if err != nil {
		log.Fatal(err)
	}
	got, err := src.Fetch(context.Background(), collateral.Request{FMSPC: p.FMSPC(), CA: collateral.CAPlatform})
	if err != nil {
		log.Fatal(err)
	}
	info, err := collateral.ParseTCBInfo(got.TCBInfo)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.ID, info.TCBLevels[0].TCBStatus, pcs.TotalRequests())
	// Output: TDX UpToDate 4
}
