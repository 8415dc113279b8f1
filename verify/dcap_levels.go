package verify

// The order in which TCB levels are matched follows Intel's QVL exactly
// (SGX-TDX-DCAP-QuoteVerificationLibrary at 7e5b2a1, paths under Src/):
//
//   - Platform levels are ordered highest first by TcbLevel::operator>
//     (AttestationParsers/src/Json/TcbLevel.cpp): the 16 SGX component
//     SVNs compared lexicographically, then PCESVN, then, for a TDX TCB
//     info, the 16 TDX component SVNs lexicographically. QVL keeps them in
//     a std::set ordered by that operator (TcbInfo::getTcbLevels), so the
//     signed order does not matter, and two levels equal under it are
//     refused ("Detected duplicated TCB levels", TcbInfo.cpp).
//   - TDX module levels are ordered highest isvsvn first
//     (TdxModuleTcbLevel::operator>), and two levels of one isvsvn are
//     refused ("Detected duplicated TDX Module Identity TCB levels",
//     TdxModuleIdentity.cpp).
//   - QE identity levels keep their signed order, repeats included:
//     EnclaveIdentityV2::getTcbStatus (AttestationLibrary/src/Verifiers/
//     EnclaveIdentityV2.cpp) takes the first level whose isvsvn is at or
//     below the QE's.

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// comparePlatformLevels orders platform TCB levels as QVL's
// TcbLevel::operator> does: by SGX component SVNs, then PCESVN, then TDX
// component SVNs, each list compared lexicographically (component 0 first,
// a shorter list below a longer one it starts). Category and type play no
// part (TcbComponent::operator<).
func comparePlatformLevels(a, b *collateral.TCBLevel) int {
	if c := compareSVNs(a.TCB.SGXComponents, b.TCB.SGXComponents); c != 0 {
		return c
	}
	if c := cmp.Compare(a.TCB.PCESVN, b.TCB.PCESVN); c != 0 {
		return c
	}
	return compareSVNs(a.TCB.TDXComponents, b.TCB.TDXComponents)
}

// compareSVNs compares two lists of components by SVN, lexicographically.
func compareSVNs(a, b []collateral.TCBComponent) int {
	return slices.CompareFunc(a, b, func(x, y collateral.TCBComponent) int { return cmp.Compare(x.SVN, y.SVN) })
}

// platformLevelsInOrder returns a copy of the TCB info's platform levels,
// highest first under comparePlatformLevels, refusing two levels that
// compare equal.
func platformLevelsInOrder(levels []collateral.TCBLevel) ([]collateral.TCBLevel, error) {
	out := slices.Clone(levels)
	slices.SortStableFunc(out, func(a, b collateral.TCBLevel) int { return comparePlatformLevels(&b, &a) })
	for i := 1; i < len(out); i++ {
		if comparePlatformLevels(&out[i-1], &out[i]) == 0 {
			l := &out[i].TCB
			return nil, mismatch(KindCollateralMismatch, "tcb info: tcbLevels", "levels that differ in their SVNs",
				fmt.Sprintf("two levels with SGX SVNs %s, PCESVN %d and TDX SVNs %s", svnHex(l.SGXComponents), l.PCESVN, svnHex(l.TDXComponents)))
		}
	}
	return out, nil
}

// svnHex renders the SVNs of components as hex, one byte each.
func svnHex(components []collateral.TCBComponent) string {
	b := make([]byte, len(components))
	for i, c := range components {
		b[i] = c.SVN
	}
	return hex.EncodeToString(b)
}

// moduleLevelsInOrder returns a copy of each TDX module identity's levels,
// highest isvsvn first, indexed like identities, refusing two levels of
// one identity with the same isvsvn.
func moduleLevelsInOrder(identities []collateral.TDXModuleIdentity) ([][]collateral.ISVTCBLevel, error) {
	out := make([][]collateral.ISVTCBLevel, len(identities))
	for i, m := range identities {
		levels := slices.Clone(m.TCBLevels)
		slices.SortStableFunc(levels, func(a, b collateral.ISVTCBLevel) int { return cmp.Compare(b.TCB.ISVSVN, a.TCB.ISVSVN) })
		for j := 1; j < len(levels); j++ {
			if levels[j-1].TCB.ISVSVN == levels[j].TCB.ISVSVN {
				return nil, mismatch(KindCollateralMismatch, fmt.Sprintf("tcb info: tdxModuleIdentities[%d].tcbLevels", i),
					"levels of distinct isvsvn", fmt.Sprintf("two levels of isvsvn %d in %s", levels[j].TCB.ISVSVN, m.ID))
			}
		}
		out[i] = levels
	}
	return out, nil
}
