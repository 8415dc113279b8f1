package cvmtest

import (
	"fmt"
	"slices"
	"time"

	"github.com/cvmgate/cvmgate/verify/pck"
)

// The default TCB info (PKI.Collateral without overrides) is built from the
// tables in this file, so that tests can ask which inputs give which status
// instead of hard-coding SVNs.
//
// Platform TCB levels, newest first. They differ in the first SGX TCB
// component (the PCK certificate's CPUSVN component 0), in PCESVN and in the
// third TDX TCB component (TEE_TCB_SVN[2]); every other component is the same
// in all levels:
//
//	status                              CPUSVN[0]  PCESVN  TEE_TCB_SVN[2]  tcbDate
//	UpToDate                            8          13      6               2025-02-12
//	SWHardeningNeeded                   7          13      6               2024-11-13
//	ConfigurationNeeded                 6          13      6               2024-08-14
//	ConfigurationAndSWHardeningNeeded   5          13      6               2024-03-13
//	OutOfDate                           4          11      5               2023-08-09
//	OutOfDateConfigurationNeeded        3          11      4               2023-02-15
//	Revoked                             2          5       3               2018-01-04
//
// A lower TEE_TCB_SVN[2] alone moves an up-to-date platform down the table
// (5 gives OutOfDate, 4 OutOfDateConfigurationNeeded, 3 Revoked, 2 or less
// no level: TCB not supported), as does a CPUSVN[0] of 1 or less or a PCESVN
// below 5. TDX components 0 and 1 require 3 and 0; they only count when
// TEE_TCB_SVN[1] is 0.
//
// TDX module identities (TEE_TCB_SVN[1] is the module's major version and
// TEE_TCB_SVN[0] its SVN):
//
//	TDX_01: isvsvn 4 UpToDate (2024-03-13), isvsvn 2 OutOfDate (2023-08-09)
//	TDX_03: isvsvn 3 UpToDate (2024-03-13), isvsvn 1 OutOfDate (2023-08-09),
//	        isvsvn 0 Revoked (2023-02-15)
//
// A TD 1.5 quote (quote.Version5, body type 3) whose TEETCBSVN comes from
// ModuleFor("OutOfDate") and whose TEETCBSVN2 from ModuleFor("UpToDate")
// is a TD running an updated module that it was not launched with: Intel
// rates it TDRelaunchAdvised, or TDRelaunchAdvisedConfigurationNeeded on a
// platform that needs configuration.
//
// QE identity (TD_QE), by QE ISVSVN: 4 UpToDate (2024-03-13), 2 OutOfDate
// (2023-08-09); below 2 no level.
//
// Every level other than UpToDate carries advisory ids of its own.

// Level is one TCB level of the default collateral: its status, date and
// advisories.
type Level struct {
	// Status is the Intel TCB status name, such as "OutOfDate".
	Status string
	// TCBDate is the level's tcbDate.
	TCBDate time.Time
	// AdvisoryIDs are the level's advisories; nil for UpToDate levels.
	AdvisoryIDs []string
}

// Platform is a platform TCB the default TCB info rates with a given
// status: put PCK into PKIOptions.TCB and TEETCBSVN into
// QuoteOptions.TEETCBSVN.
type Platform struct {
	Level
	// PCK is the PCK certificate's TCB.
	PCK pck.TCB
	// TEETCBSVN is the TD's TEE_TCB_SVN; its module bytes select the
	// UpToDate level of TDX_01.
	TEETCBSVN [16]byte
}

// Module is a TDX module TCB the default TCB info rates with a given
// status: put TEETCBSVN into QuoteOptions.TEETCBSVN. The platform bytes of
// TEETCBSVN are those of the UpToDate platform.
type Module struct {
	Level
	// ID is the module identity that applies, such as "TDX_01".
	ID string
	// TEETCBSVN is the TD's TEE_TCB_SVN.
	TEETCBSVN [16]byte
}

// QE is a quoting enclave the default QE identity rates with a given
// status: put ISVSVN into QuoteOptions.QESVN.
type QE struct {
	Level
	// ISVSVN is the QE report's ISVSVN.
	ISVSVN uint16
}

// Presets that select no level of the default collateral, for "TCB not
// supported" tests.
const (
	// UnsupportedCPUSVN0 as the PCK's CPUSVN component 0 matches no
	// platform level.
	UnsupportedCPUSVN0 = 1
	// UnsupportedQESVN as QuoteOptions.QESVN matches no QE identity level.
	UnsupportedQESVN = 1
)

// platformLevel is one row of the platform table above.
type platformLevel struct {
	Level
	cpusvn0 uint8
	pcesvn  uint16
	tdx2    uint8
}

// isvLevel is one level of a module identity or the QE identity.
type isvLevel struct {
	Level
	isvsvn uint16
}

// moduleIdentity is one TDX module identity.
type moduleIdentity struct {
	major  uint8
	levels []isvLevel
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Component SVNs shared by every platform level, with the selectors zero.
var (
	baseSGXComponents = [16]uint8{0, 2, 2, 2, 3, 1, 0, 5}
	baseTDXComponents = [16]uint8{3, 0, 0}
	// defaultModuleSVN and defaultModuleMajor select TDX_01's UpToDate level.
	defaultModuleSVN   uint8 = 4
	defaultModuleMajor uint8 = 1
)

var platformLevels = []platformLevel{
	{Level{"UpToDate", day(2025, 2, 12), nil}, 8, 13, 6},
	{Level{"SWHardeningNeeded", day(2024, 11, 13), []string{"INTEL-SA-00615"}}, 7, 13, 6},
	{Level{"ConfigurationNeeded", day(2024, 8, 14), []string{"INTEL-SA-01079"}}, 6, 13, 6},
	{Level{"ConfigurationAndSWHardeningNeeded", day(2024, 3, 13), []string{"INTEL-SA-00615", "INTEL-SA-01036"}}, 5, 13, 6},
	{Level{"OutOfDate", day(2023, 8, 9), []string{"INTEL-SA-00837", "INTEL-SA-00960"}}, 4, 11, 5},
	{Level{"OutOfDateConfigurationNeeded", day(2023, 2, 15), []string{"INTEL-SA-00730", "INTEL-SA-00767"}}, 3, 11, 4},
	{Level{"Revoked", day(2018, 1, 4), []string{"INTEL-SA-00106", "INTEL-SA-00115"}}, 2, 5, 3},
}

var moduleIdentities = []moduleIdentity{
	{3, []isvLevel{
		{Level{"UpToDate", day(2024, 3, 13), nil}, 3},
		{Level{"OutOfDate", day(2023, 8, 9), []string{"INTEL-SA-00960"}}, 1},
		{Level{"Revoked", day(2023, 2, 15), []string{"INTEL-SA-00837"}}, 0},
	}},
	{1, []isvLevel{
		{Level{"UpToDate", day(2024, 3, 13), nil}, 4},
		{Level{"OutOfDate", day(2023, 8, 9), []string{"INTEL-SA-00960"}}, 2},
	}},
}

var qeLevels = []isvLevel{
	{Level{"UpToDate", day(2024, 3, 13), nil}, 4},
	{Level{"OutOfDate", day(2023, 8, 9), []string{"INTEL-SA-00837"}}, 2},
}

// PlatformFor returns the platform TCB that the default TCB info rates
// status, with an UpToDate TDX module. status is an Intel TCB status name
// ("UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
// "ConfigurationAndSWHardeningNeeded", "OutOfDate",
// "OutOfDateConfigurationNeeded" or "Revoked"); verify.TCBStatus values
// work as they are.
func PlatformFor[S ~string](status S) (Platform, error) {
	for _, l := range platformLevels {
		if l.Status == string(status) {
			return l.platform(), nil
		}
	}
	return Platform{}, invalid("PlatformFor", "status", "a platform TCB status of the default TCB info", fmt.Sprintf("%q", string(status)))
}

// ModuleFor returns a TDX module TCB that the default TCB info rates
// status ("UpToDate", "OutOfDate" or "Revoked") on an UpToDate platform.
// UpToDate and OutOfDate use TDX_01, Revoked uses TDX_03.
func ModuleFor[S ~string](status S) (Module, error) {
	for _, id := range []int{1, 0} { // TDX_01 first, then TDX_03
		mi := moduleIdentities[id]
		for _, l := range mi.levels {
			if l.Status == string(status) {
				svn := defaultTEETCBSVN()
				svn[0], svn[1] = uint8(l.isvsvn), mi.major
				return Module{Level: cloneLevel(l.Level), ID: moduleID(mi.major), TEETCBSVN: svn}, nil
			}
		}
	}
	return Module{}, invalid("ModuleFor", "status", `"UpToDate", "OutOfDate" or "Revoked"`, fmt.Sprintf("%q", string(status)))
}

// QEFor returns the QE ISVSVN that the default QE identity rates status
// ("UpToDate" or "OutOfDate").
func QEFor[S ~string](status S) (QE, error) {
	for _, l := range qeLevels {
		if l.Status == string(status) {
			return QE{Level: cloneLevel(l.Level), ISVSVN: l.isvsvn}, nil
		}
	}
	return QE{}, invalid("QEFor", "status", `"UpToDate" or "OutOfDate"`, fmt.Sprintf("%q", string(status)))
}

// upToDatePlatform is the default platform: the newest level.
func upToDatePlatform() Platform { return platformLevels[0].platform() }

func (l platformLevel) platform() Platform {
	comps := baseSGXComponents
	comps[0] = l.cpusvn0
	return Platform{
		Level: cloneLevel(l.Level),
		PCK:   pck.TCB{CPUSVNComponents: comps, PCESVN: l.pcesvn, CPUSVN: comps},
		// Only the PCK certificate differs between presets: the TD keeps
		// the newest TEE_TCB_SVN, which every level accepts.
		TEETCBSVN: defaultTEETCBSVN(),
	}
}

// defaultTEETCBSVN is the TEE_TCB_SVN of the default quote: the newest
// platform level's TDX components and TDX_01's UpToDate module.
func defaultTEETCBSVN() [16]byte {
	svn := baseTDXComponents
	svn[0], svn[1], svn[2] = defaultModuleSVN, defaultModuleMajor, platformLevels[0].tdx2
	return svn
}

func cloneLevel(l Level) Level {
	l.AdvisoryIDs = slices.Clone(l.AdvisoryIDs)
	return l
}

func moduleID(major uint8) string { return fmt.Sprintf("TDX_%02X", major) }
