package verify

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// TDATTRIBUTES bits, numbered in the little-endian 64-bit field, with the
// names of Intel's TDX module (td_param_attributes_t). Bits 0-7 are the
// TUD group ("TD under debug"): DEBUG, and bits the module reserves for
// debug and profiling features (newer modules name 4-6 *_PROF). Bits 8-31
// are the SEC group, 32-63 the OTHER group.
const (
	tdDebug         uint64 = 1 << 0
	tdTUD           uint64 = 0xff // bits 0-7
	tdICSSD         uint64 = 1 << 16
	tdLASS          uint64 = 1 << 27
	tdSEPTVEDisable uint64 = 1 << 28
	tdMigratable    uint64 = 1 << 29
	tdPKS           uint64 = 1 << 30
	tdKL            uint64 = 1 << 31
	tdTPA           uint64 = 1 << 62
	tdPerfmon       uint64 = 1 << 63

	// tdOptional are the features the default rule accepts set or clear:
	// they harden the TD (ICSSD, LASS) or give it CPU features of its own
	// (PKS, KL, PERFMON) and let nothing outside the TD in.
	tdOptional = tdICSSD | tdLASS | tdPKS | tdKL | tdPerfmon
)

// tdBitNames names the TDATTRIBUTES bits an error may mention.
var tdBitNames = map[int]string{
	0: "DEBUG", 16: "ICSSD", 27: "LASS", 28: "SEPT_VE_DISABLE", 29: "MIGRATABLE",
	30: "PKS", 31: "KL", 62: "TPA", 63: "PERFMON",
}

// CheckTDAttributes applies the default rule to a TD's TDATTRIBUTES (the
// 8 bytes of the quote's TD report). It refuses, as KindDebugTD, DEBUG
// (bit 0) unless allowDebug, and any other bit of the TUD group (1-7),
// which marks a TD under debug or profiling; and, as KindTDAttributes, a
// TD without SEPT_VE_DISABLE (bit 28: without it the host can make the
// guest take #VE on pages it has not accepted, which Linux guests refuse)
// and every bit other than the optional features ICSSD (16), LASS (27),
// PKS (30), KL (31) and PERFMON (63): MIGRATABLE (29) and TPA (62), which
// let a migration TD or TDX Connect into the TD's trust, and the bits the
// TDX module reserves (8-15, 17-26, 32-61). Accept and package policy
// share this rule; a policy may replace it with exact values.
func CheckTDAttributes(attrs [8]byte, allowDebug bool) error {
	const check = "td attributes"
	v := binary.LittleEndian.Uint64(attrs[:])
	found := func(what string) string { return what + " (TDATTRIBUTES " + hex.EncodeToString(attrs[:]) + ")" }
	switch {
	case v&tdDebug != 0 && !allowDebug:
		return mismatch(KindDebugTD, check, "DEBUG clear", found("DEBUG set"))
	case v&tdTUD&^tdDebug != 0:
		return mismatch(KindDebugTD, check, "TD-under-debug bits 1-7 clear", found(describeTDBits(v&tdTUD&^tdDebug)+" set"))
	case v&tdSEPTVEDisable == 0:
		return mismatch(KindTDAttributes, check, "SEPT_VE_DISABLE (bit 28) set", found("SEPT_VE_DISABLE clear"))
	}
	if extra := v &^ (tdTUD | tdSEPTVEDisable | tdOptional); extra != 0 {
		return mismatch(KindTDAttributes, check, "no bits besides DEBUG, SEPT_VE_DISABLE, ICSSD, LASS, PKS, KL and PERFMON",
			found(describeTDBits(extra)+" set"))
	}
	return nil
}

// CheckServiceTD applies the default rule to MRSERVICETD: it must be zero,
// no service TD (such as a migration TD) being bound to the TD, since a
// bound service TD can read and change the TD's state. A TD 1.0 body has
// no MRSERVICETD and passes. The error is KindServiceTD.
func CheckServiceTD(b *quote.Body) error {
	if b.MRServiceTD == ([48]byte{}) {
		return nil
	}
	return mismatch(KindServiceTD, "mrservicetd", "zero (no service TD bound)", hex.EncodeToString(b.MRServiceTD[:]))
}

// describeTDBits lists the set bits of v, with their names where known:
// "bit 29 (MIGRATABLE), bit 40".
func describeTDBits(v uint64) string {
	var parts []string
	for v != 0 {
		n := bits.TrailingZeros64(v)
		v &^= 1 << n
		s := fmt.Sprintf("bit %d", n)
		if name, ok := tdBitNames[n]; ok {
			s += " (" + name + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
