package verify

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// svnLevel makes a platform level with the given SGX SVNs (the rest 0),
// PCESVN and TDX SVNs (the rest 0).
func svnLevel(status string, sgx []uint8, pce uint16, tdx []uint8) collateral.TCBLevel {
	l := collateral.TCBLevel{TCBStatus: status}
	l.TCB.PCESVN = pce
	l.TCB.SGXComponents = make([]collateral.TCBComponent, 16)
	l.TCB.TDXComponents = make([]collateral.TCBComponent, 16)
	for i, s := range sgx {
		l.TCB.SGXComponents[i].SVN = s
	}
	for i, s := range tdx {
		l.TCB.TDXComponents[i].SVN = s
	}
	return l
}

// TestComparePlatformLevels pins QVL's TcbLevel::operator>: SGX SVNs
// lexicographically, then PCESVN, then TDX SVNs lexicographically.
func TestComparePlatformLevels(t *testing.T) {
	t.Parallel()
	named := svnLevel("", []uint8{2}, 1, nil)
	named.TCB.SGXComponents[0].Category, named.TCB.SGXComponents[0].Type = "BIOS", "Early Microcode Update"
	cases := []struct {
		name string
		a, b collateral.TCBLevel
		want int
	}{
		{"equal", svnLevel("", []uint8{2, 2}, 1, []uint8{1}), svnLevel("", []uint8{2, 2}, 1, []uint8{1}), 0},
		{"status and date play no part", svnLevel("UpToDate", []uint8{2}, 1, nil), svnLevel("Revoked", []uint8{2}, 1, nil), 0},
		{"category and type play no part", named, svnLevel("", []uint8{2}, 1, nil), 0},
		{"first SGX component decides", svnLevel("", []uint8{3, 0}, 0, nil), svnLevel("", []uint8{2, 9}, 9, []uint8{9}), 1},
		{"a later SGX component decides on a tie", svnLevel("", []uint8{2, 1}, 9, nil), svnLevel("", []uint8{2, 2}, 0, nil), -1},
		{"PCESVN decides when the SGX SVNs tie", svnLevel("", []uint8{2}, 2, nil), svnLevel("", []uint8{2}, 1, []uint8{9}), 1},
		{"TDX SVNs decide when SGX SVNs and PCESVN tie", svnLevel("", []uint8{2}, 1, []uint8{0, 0, 5}), svnLevel("", []uint8{2}, 1, []uint8{0, 0, 4}), 1},
		{"TDX component 15 counts", svnLevel("", nil, 0, []uint8{15: 1}), svnLevel("", nil, 0, nil), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, comparePlatformLevels(&tc.a, &tc.b))
			assert.Equal(t, -tc.want, comparePlatformLevels(&tc.b, &tc.a), "antisymmetric")
		})
	}
}

func TestPlatformLevelsInOrder(t *testing.T) {
	t.Parallel()
	levels := []collateral.TCBLevel{
		svnLevel("OutOfDate", []uint8{1, 9}, 9, nil),
		svnLevel("ConfigurationNeeded", []uint8{2}, 1, []uint8{0, 0, 5}),
		svnLevel("UpToDate", []uint8{2}, 2, nil),
		svnLevel("SWHardeningNeeded", []uint8{2}, 1, []uint8{0, 0, 6}),
	}
	signed := slices.Clone(levels)
	got, err := platformLevelsInOrder(levels)
	require.NoError(t, err)
	var order []string
	for _, l := range got {
		order = append(order, l.TCBStatus)
	}
	assert.Equal(t, []string{"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "OutOfDate"}, order)
	assert.Equal(t, signed, levels, "the TCB info keeps its signed order")

	_, err = platformLevelsInOrder(append(levels, svnLevel("Revoked", []uint8{2}, 1, []uint8{0, 0, 5})))
	require.Error(t, err)
	assert.Equal(t, KindCollateralMismatch, KindOf(err))
	assert.Contains(t, err.Error(), "two levels with SGX SVNs 0200")
}

func TestModuleLevelsInOrder(t *testing.T) {
	t.Parallel()
	isv := func(svn uint16, status string) collateral.ISVTCBLevel {
		return collateral.ISVTCBLevel{TCB: collateral.ISVSVN{ISVSVN: svn}, TCBStatus: status}
	}
	ids := []collateral.TDXModuleIdentity{
		{ID: "TDX_01", TCBLevels: []collateral.ISVTCBLevel{isv(2, "OutOfDate"), isv(4, "UpToDate"), isv(0, "Revoked")}},
		{ID: "TDX_03", TCBLevels: []collateral.ISVTCBLevel{isv(3, "UpToDate")}},
	}
	got, err := moduleLevelsInOrder(ids)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []collateral.ISVTCBLevel{isv(4, "UpToDate"), isv(2, "OutOfDate"), isv(0, "Revoked")}, got[0])
	assert.Equal(t, uint16(2), ids[0].TCBLevels[0].TCB.ISVSVN, "the TCB info keeps its signed order")

	ids[1].TCBLevels = append(ids[1].TCBLevels, isv(3, "OutOfDate"))
	_, err = moduleLevelsInOrder(ids)
	require.Error(t, err)
	assert.Equal(t, KindCollateralMismatch, KindOf(err))
	assert.Contains(t, err.Error(), "tdxModuleIdentities[1].tcbLevels")
	assert.Contains(t, err.Error(), "isvsvn 3 in TDX_03")
}
