package verify_test

import (
	"context"
	"testing"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

func BenchmarkParseAttestation(b *testing.B) {
	doc := evDstackDoc(b, "tdx-lite-getquote.json")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.ParseAttestation(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyEvidence measures a whole evidence check on a real quote:
// the quote (Intel root, no collateral), the replay of its 29 events, the
// identity and MR_CONFIG_ID.
func BenchmarkVerifyEvidence(b *testing.B) {
	a := evVectorAttestation(b, "tdx-lite-getquote.json")
	v := evIntelVerifier(b, a.Quote)
	ev := &verify.Evidence{Attestation: a}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyEvidence(ctx, ev, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
