package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"testing"

	"github.com/google/go-tdx-guest/abi"
	tdxverify "github.com/google/go-tdx-guest/verify"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/benchcpu"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// benchFixture is the default cvmtest PKI, its collateral around testNow
// and a default quote: the same inputs for every benchmark.
func benchFixture(b *testing.B) (*cvmtest.PKI, *collateral.Collateral, []byte) {
	b.Helper()
	p := cvmtest.MustPKI(b, cvmtest.PKIOptions{})
	c := testCollateral(b, p, cvmtest.CollateralOptions{})
	return p, c, testQuote(b, p, cvmtest.QuoteOptions{ReportData: [64]byte{1}})
}

// benchOptions verifies against p's root with collateral c at testNow.
func benchOptions(p *cvmtest.PKI, c *collateral.Collateral) verify.Options {
	opts := p.VerifyOptions(c)
	opts.Now = fixedNow(testNow)
	return opts
}

// warmUp verifies raw once so that v's caches hold its collateral, chain
// and QE report signature, and returns the context to verify with.
func warmUp(b *testing.B, v *verify.Verifier, raw []byte) context.Context {
	b.Helper()
	ctx := context.Background()
	if _, err := v.Verify(ctx, raw, nil); err != nil {
		b.Fatal(err)
	}
	return ctx
}

// BenchmarkVerifyCold makes a new Verifier for every quote, so its caches
// are empty: each verification checks the PCK chain, the QE report, both
// CRLs, the TCB info and QE identity signatures and their signing chain
// (the TCB signing certificate once, the PCK CRL issuer not again after
// the chain), and parses the collateral: nine signature checks. Compare
// with BenchmarkGoTDXGuestVerify, run in the same invocation.
func BenchmarkVerifyCold(b *testing.B) {
	p, c, raw := benchFixture(b)
	opts := benchOptions(p, c)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		v, err := verify.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Verify(ctx, raw, nil); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

// BenchmarkVerifyWarm reuses one Verifier that has verified the quote's
// platform before: its collateral, PCK chain and QE report signature are
// remembered, so a quote costs one signature check, its own. Compare with
// BenchmarkECDSAP256Verify and BenchmarkGoTDXGuestVerify, run in the same
// invocation.
func BenchmarkVerifyWarm(b *testing.B) {
	p, c, raw := benchFixture(b)
	v, err := verify.New(benchOptions(p, c))
	if err != nil {
		b.Fatal(err)
	}
	ctx := warmUp(b, v, raw)
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw, nil); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

// BenchmarkVerifyWarmParallel is BenchmarkVerifyWarm from every P at once.
func BenchmarkVerifyWarmParallel(b *testing.B) {
	p, c, raw := benchFixture(b)
	v, err := verify.New(benchOptions(p, c))
	if err != nil {
		b.Fatal(err)
	}
	ctx := warmUp(b, v, raw)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, raw, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyWarmDcapQVLVector verifies dcap-qvl's real quote against
// Intel's root with warm caches.
func BenchmarkVerifyWarmDcapQVLVector(b *testing.B) {
	raw, c := dcapQVLVector(b)
	v := intelVerifier(b, c, dcapQVLTime, nil)
	ctx := warmUp(b, v, raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// memoryGetter is a go-tdx-guest trust.HTTPSGetter that answers from
// memory: each URL is fetched once from a fake PCS, then served from a map.
type memoryGetter struct {
	inner *cvmtest.Getter
	mu    sync.Mutex
	resp  map[string]memoryResponse
}

type memoryResponse struct {
	header map[string][]string
	body   []byte
}

// Get implements trust.HTTPSGetter.
func (g *memoryGetter) Get(url string) (map[string][]string, []byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.resp[url]; ok {
		return r.header, r.body, nil
	}
	h, body, err := g.inner.Get(url)
	if err != nil {
		return nil, nil, err
	}
	g.resp[url] = memoryResponse{header: h, body: body}
	return h, body, nil
}

// BenchmarkGoTDXGuestVerify runs go-tdx-guest's full verification
// (verify.TdxQuote with GetCollateral and CheckRevocations) of the same
// quote with the same collateral, served from memory, trusting the same
// test root. TdxQuote mutates its Options, so each iteration builds fresh
// ones with a complete TimeSet (a partial one silently skips expiry
// checks). It parses the quote with abi.QuoteToProto each time, as
// Verify parses its input.
func BenchmarkGoTDXGuestVerify(b *testing.B) {
	p, c, raw := benchFixture(b)
	srv := cvmtest.NewPCSServer(c, p)
	b.Cleanup(srv.Close)
	getter := &memoryGetter{inner: srv.Getter(), resp: map[string]memoryResponse{}}
	roots := p.RootPool()
	run := func() error {
		q, err := abi.QuoteToProto(raw)
		if err != nil {
			return err
		}
		now := testNow
		return tdxverify.TdxQuote(q, &tdxverify.Options{
			CheckRevocations: true,
			GetCollateral:    true,
			Getter:           getter,
			TrustedRoots:     roots,
			Now:              &tdxverify.TimeSet{PckCertChain: now, TcbInfo: now, QeIdentity: now, PckCrl: now, RootCaCrl: now},
		})
	}
	if err := run(); err != nil { // warms the getter
		b.Fatal(err)
	}
	before := srv.TotalRequests()
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		if err := run(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
	b.StopTimer()
	if n := srv.TotalRequests(); n != before {
		b.Fatalf("%d requests reached the fake PCS while timing; want them all served from memory", n-before)
	}
}

// BenchmarkECDSAP256Verify is the unit the verify benchmarks are measured
// in: one ecdsa.Verify of a P-256 signature over a SHA-256 digest, the
// check a quote's own signature costs.
func BenchmarkECDSAP256Verify(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("cvmgate benchmark"))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &key.PublicKey
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		if !ecdsa.Verify(pub, digest[:], r, s) {
			b.Fatal("signature does not verify")
		}
	}
	cpu.Report(b)
}
