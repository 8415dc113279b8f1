package verify_test

import (
	"context"
	"testing"

	"github.com/cvmgate/cvmgate/internal/benchcpu"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// BenchmarkParseAttestation reads a real dstack /attestation document (a
// 5 KiB quote in hex and a 29-event log as a JSON string). Compare with
// BenchmarkECDSAP256Verify, run in the same invocation.
func BenchmarkParseAttestation(b *testing.B) {
	doc := evDstackDoc(b, "tdx-lite-getquote.json")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		if _, err := wire.ParseAttestation(doc); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

// BenchmarkVerifyEvidence measures a whole evidence check on a real quote:
// the quote (Intel root, no collateral), the replay of its 29 events, the
// identity and MR_CONFIG_ID, accepting the unknown TCB status of a
// verification without collateral.
func BenchmarkVerifyEvidence(b *testing.B) {
	a := evVectorAttestation(b, "tdx-lite-getquote.json")
	v := evIntelVerifier(b, a.Quote)
	ev := &verify.Evidence{Attestation: a}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyEvidence(ctx, ev, nil, acceptUnknown); err != nil {
			b.Fatal(err)
		}
	}
}
