package verify

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
)

func TestConverge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		platform, part, want TCBStatus
	}{
		{StatusUpToDate, StatusUpToDate, StatusUpToDate},
		{StatusUpToDate, StatusOutOfDate, StatusOutOfDate},
		{StatusSWHardeningNeeded, StatusOutOfDate, StatusOutOfDate},
		{StatusConfigurationNeeded, StatusOutOfDate, StatusOutOfDateConfigurationNeeded},
		{StatusConfigurationAndSWHardeningNeeded, StatusOutOfDate, StatusOutOfDateConfigurationNeeded},
		{StatusOutOfDate, StatusOutOfDate, StatusOutOfDate},
		{StatusOutOfDateConfigurationNeeded, StatusOutOfDate, StatusOutOfDateConfigurationNeeded},
		{StatusTDRelaunchAdvised, StatusOutOfDate, StatusTDRelaunchAdvised},
		{StatusRevoked, StatusOutOfDate, StatusRevoked},
		{StatusUpToDate, StatusRevoked, StatusRevoked},
		{StatusConfigurationNeeded, StatusRevoked, StatusRevoked},
		{StatusSWHardeningNeeded, StatusUpToDate, StatusSWHardeningNeeded},
		{StatusRevoked, StatusUpToDate, StatusRevoked},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, converge(tc.platform, tc.part), "%s with %s", tc.platform, tc.part)
	}
}

func TestUnionAdvisories(t *testing.T) {
	t.Parallel()
	assert.Nil(t, unionAdvisories(nil, []string{}, nil))
	assert.Equal(t, []string{"INTEL-SA-00001", "INTEL-SA-00002", "INTEL-SA-00003"},
		unionAdvisories([]string{"INTEL-SA-00003", "INTEL-SA-00001"}, nil, []string{"INTEL-SA-00002", "INTEL-SA-00001"}))
	a := []string{"B", "A"}
	unionAdvisories(a)
	assert.Equal(t, []string{"B", "A"}, a, "inputs are not reordered")
}

// level makes a platform level whose SGX components are all sgx, PCESVN
// pce and TDX components tdx.
func level(status TCBStatus, sgx uint8, pce uint16, tdx [16]uint8) collateral.TCBLevel {
	l := collateral.TCBLevel{TCBStatus: string(status)}
	l.TCB.PCESVN = pce
	for i := range 16 {
		l.TCB.SGXComponents = append(l.TCB.SGXComponents, collateral.TCBComponent{SVN: sgx})
		l.TCB.TDXComponents = append(l.TCB.TDXComponents, collateral.TCBComponent{SVN: tdx[i]})
	}
	return l
}

// sgxTCB makes a PCK TCB with every SGX component sgx.
func sgxTCB(sgx uint8, pce uint16) *pck.TCB {
	t := &pck.TCB{PCESVN: pce}
	for i := range t.CPUSVNComponents {
		t.CPUSVNComponents[i] = sgx
	}
	return t
}

func TestMatchPlatformLevel(t *testing.T) {
	t.Parallel()
	levels := []collateral.TCBLevel{
		level(StatusUpToDate, 5, 10, [16]uint8{9, 9, 6}),
		level(StatusSWHardeningNeeded, 4, 10, [16]uint8{9, 9, 6}),
		level(StatusOutOfDate, 3, 10, [16]uint8{2, 0, 4}),
		level(StatusRevoked, 1, 1, [16]uint8{0, 0, 1}),
	}
	cases := []struct {
		name     string
		tcb      *pck.TCB
		svn      [16]byte
		sgx, tdx int
		kind     Kind
	}{
		{"newest", sgxTCB(5, 10), [16]byte{9, 9, 6}, 0, 0, ""},
		{"module bytes skipped when a major version is set", sgxTCB(5, 10), [16]byte{0, 1, 6}, 0, 0, ""},
		{"module bytes compared when the major version is 0", sgxTCB(5, 10), [16]byte{2, 0, 6}, 0, 2, ""},
		{"SGX below the newest", sgxTCB(4, 10), [16]byte{9, 9, 6}, 1, 1, ""},
		{"TDX below the SGX level", sgxTCB(5, 10), [16]byte{0, 1, 4}, 0, 2, ""},
		{"PCESVN below", sgxTCB(5, 9), [16]byte{0, 1, 6}, 3, 3, ""},
		{"the TDX level must also pass the SGX test", sgxTCB(1, 1), [16]byte{0, 1, 6}, 3, 3, ""},
		{"no SGX level", sgxTCB(0, 10), [16]byte{0, 1, 6}, 0, 0, KindTCBNotSupported},
		{"no TDX level", sgxTCB(5, 10), [16]byte{0, 1, 0}, 0, 0, KindTCBNotSupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sgx, tdx, err := matchPlatformLevel(levels, tc.tcb, tc.svn)
			if tc.kind != "" {
				require.Error(t, err)
				assert.Equal(t, tc.kind, KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.sgx, sgx, "SGX level")
			assert.Equal(t, tc.tdx, tdx, "TDX level")
		})
	}
}

// relaunchCollateral has a newest level wanting TDX components 0 and 2 at
// 3 and 6, and module identity TDX_01 with levels isvsvn 4 and 2.
func relaunchCollateral() *verifiedCollateral {
	info := &collateral.TCBInfo{
		TCBLevels: []collateral.TCBLevel{level(StatusUpToDate, 1, 1, [16]uint8{3, 0, 6})},
		TDXModuleIdentities: []collateral.TDXModuleIdentity{{ID: "tdx_01", TCBLevels: []collateral.ISVTCBLevel{
			{TCB: collateral.ISVSVN{ISVSVN: 2}, TCBStatus: "OutOfDate"},
			{TCB: collateral.ISVSVN{ISVSVN: 4}, TCBStatus: "UpToDate"},
		}}},
	}
	modules, err := moduleLevelsInOrder(info.TDXModuleIdentities)
	if err != nil {
		panic(err)
	}
	return &verifiedCollateral{tcbInfo: info, platformLevels: info.TCBLevels, moduleLevels: modules}
}

func TestCheckRelaunch(t *testing.T) {
	t.Parallel()
	up, out := StatusUpToDate, StatusOutOfDate
	current := [16]byte{4, 1, 6}
	cases := []struct {
		name                 string
		svn2                 [16]byte
		sgx, tdx, module, qe TCBStatus
		want                 TCBStatus
		kind                 Kind
	}{
		{"module updated in place", current, up, out, out, up, StatusTDRelaunchAdvised, ""},
		{"configuration needed", current, StatusConfigurationNeeded, StatusOutOfDateConfigurationNeeded, out, up, StatusTDRelaunchAdvisedConfigurationNeeded, ""},
		{"SW hardening platform", current, StatusSWHardeningNeeded, out, out, up, StatusTDRelaunchAdvised, ""},
		{"QE out of date", current, up, out, out, out, out, ""},
		{"QE revoked", current, up, out, out, StatusRevoked, out, ""},
		{"platform out of date", current, out, out, out, up, out, ""},
		{"module up to date", current, up, StatusSWHardeningNeeded, up, up, StatusSWHardeningNeeded, ""},
		{"module not the cause", current, up, up, out, up, up, ""},
		{"relaunch would run an old module", [16]byte{3, 1, 6}, up, out, out, up, out, ""},
		{"relaunch would run an old microcode", [16]byte{4, 1, 5}, up, out, out, up, out, ""},
		{"major version 0 at the newest level", [16]byte{3, 0, 6}, up, out, out, up, StatusTDRelaunchAdvised, ""},
		{"major version 0 below the newest level", [16]byte{2, 0, 6}, up, out, out, up, out, ""},
		{"unknown module after relaunch", [16]byte{4, 9, 6}, up, out, out, up, "", KindTDXModuleMismatch},
	}
	vc := relaunchCollateral()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkRelaunch(vc, tc.svn2, tc.sgx, tc.tdx, tc.module, tc.qe)
			if tc.kind != "" {
				assert.Equal(t, tc.kind, KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestModuleIdentityIgnoresCase(t *testing.T) {
	t.Parallel()
	info := relaunchCollateral().tcbInfo
	assert.Equal(t, 0, moduleIdentity(info, 1))
	assert.Equal(t, -1, moduleIdentity(info, 0x10))
	for major := range 256 {
		want := -1
		if major == 1 {
			want = 0
		}
		require.Equal(t, want, moduleIdentity(info, byte(major)), fmt.Sprintf("TDX_%02X", major))
	}
}

func TestMatchISVLevel(t *testing.T) {
	t.Parallel()
	levels := []collateral.ISVTCBLevel{
		{TCB: collateral.ISVSVN{ISVSVN: 8}, TCBStatus: "UpToDate"},
		{TCB: collateral.ISVSVN{ISVSVN: 2}, TCBStatus: "OutOfDate"},
		{TCB: collateral.ISVSVN{ISVSVN: 0}, TCBStatus: "Revoked"},
	}
	for svn, want := range map[uint16]string{0: "Revoked", 1: "Revoked", 2: "OutOfDate", 7: "OutOfDate", 8: "UpToDate", 65535: "UpToDate"} {
		l := matchISVLevel(levels, svn)
		require.NotNil(t, l)
		assert.Equal(t, want, l.TCBStatus, "isvsvn %d", svn)
	}
	assert.Nil(t, matchISVLevel(levels[:2], 1))
	// The order given decides, as for QVL's QE identity levels: listed
	// lowest first, the lowest level rates every isvsvn above it.
	slices.Reverse(levels)
	assert.Equal(t, "Revoked", matchISVLevel(levels, 8).TCBStatus)
}

func TestOutOfDateSince(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	dated := func(dates ...time.Time) []collateral.TCBLevel {
		levels := make([]collateral.TCBLevel, len(dates))
		for i, d := range dates {
			levels[i].TCBDate = d
		}
		return levels
	}
	// Intel's TDX TCB info: three TCB recoveries, the newest with levels
	// for configuration and hardening variants of the same date.
	intel := dated(day(2024, 11, 13), day(2024, 11, 13), day(2024, 3, 13), day(2024, 3, 13), day(2023, 8, 9))
	cases := []struct {
		name   string
		levels []collateral.TCBLevel
		idx    int
		want   time.Time
	}{
		{"newest level", intel, 0, time.Time{}},
		{"a variant of the newest recovery", intel, 1, day(2024, 11, 13)},
		{"one recovery behind", intel, 2, day(2024, 11, 13)},
		{"a variant one recovery behind", intel, 3, day(2024, 11, 13)},
		{"two recoveries behind: out of date since the first one it missed", intel, 4, day(2024, 3, 13)},
		{"levels out of date order", dated(day(2024, 3, 13), day(2025, 1, 1), day(2023, 1, 1)), 2, day(2024, 3, 13)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, outOfDateSince(tc.levels, tc.idx))
		})
	}
}
