package verify

import (
	"encoding/hex"
	"time"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// TCBStatus is an Intel TCB status as named in TCB info and QE identity.
type TCBStatus string

// TCB statuses, from Intel's TCB info and QE identity formats.
const (
	StatusUpToDate                             TCBStatus = "UpToDate"
	StatusSWHardeningNeeded                    TCBStatus = "SWHardeningNeeded"
	StatusConfigurationNeeded                  TCBStatus = "ConfigurationNeeded"
	StatusConfigurationAndSWHardeningNeeded    TCBStatus = "ConfigurationAndSWHardeningNeeded"
	StatusOutOfDate                            TCBStatus = "OutOfDate"
	StatusOutOfDateConfigurationNeeded         TCBStatus = "OutOfDateConfigurationNeeded"
	StatusTDRelaunchAdvised                    TCBStatus = "TDRelaunchAdvised"
	StatusTDRelaunchAdvisedConfigurationNeeded TCBStatus = "TDRelaunchAdvisedConfigurationNeeded"
	StatusRevoked                              TCBStatus = "Revoked"
	// StatusUnknown marks a report whose TCB was not evaluated because no
	// collateral was used. A policy must accept it explicitly.
	StatusUnknown TCBStatus = "unknown"
)

// Report is the outcome of a successful quote verification: the quote's
// measured fields and how Intel's collateral rates the platform.
type Report struct {
	// QuoteVersion, BodyType and Body are the verified quote's version
	// (4 or 5; 0 in a report without a quote), its body type and its TD
	// report: MRTD, RTMRs, REPORTDATA, TD attributes and the rest.
	QuoteVersion uint16
	BodyType     uint16
	Body         quote.Body
	// Quote is the whole parsed quote, its signatures and PCK chain
	// included; nil in a compact report (see Compact).
	Quote *quote.Quote

	// VerifiedAt is the verification time all checks used.
	VerifiedAt time.Time

	// TCBStatus is the converged status of platform, TDX module and QE.
	TCBStatus TCBStatus
	// PlatformTCBStatus is the status of the matched platform TCB level.
	PlatformTCBStatus TCBStatus
	// TDXModuleTCBStatus is the status of the matched TDX module level, or
	// "" when the module adds nothing (TEE_TCB_SVN[1] == 0).
	TDXModuleTCBStatus TCBStatus
	// QETCBStatus is the status of the matched QE identity level.
	QETCBStatus TCBStatus
	// AdvisoryIDs is the union of the advisories of every matched level.
	AdvisoryIDs []string
	// TCBDate is the tcbDate of the matched platform TCB level.
	TCBDate time.Time
	// OutOfDateSince is, when the platform matched a level below the newest,
	// the tcbDate of the earliest level above it dated after the matched
	// level (the TCB recovery the platform first missed, and the start of a
	// policy's out-of-date grace period, so that a platform several
	// recoveries behind gets no fresh grace from each new one); the newest
	// level's tcbDate when no level above is dated later; zero otherwise.
	OutOfDateSince time.Time
	// TCBEvaluationDataNumber is that of the TCB info used.
	TCBEvaluationDataNumber int

	// FMSPC is the platform's FMSPC (upper-case hex) from the PCK certificate.
	FMSPC string
	// PCEID is the PCE id (upper-case hex) from the PCK certificate.
	PCEID string
	// DeviceID is the lower-case hex SHA-256 of the PCK certificate's PPID.
	DeviceID string
	// PCKCA is the PCK intermediate CA ("platform" or "processor").
	PCKCA string

	// CollateralNextUpdate is the earliest nextUpdate of the collateral
	// used (TCB info, QE identity and CRLs); zero without collateral.
	CollateralNextUpdate time.Time
	// ValidUntil is when this verdict lapses: the earliest of
	// CollateralNextUpdate and the expiry of every certificate it rests on
	// (the PCK chain, and the collateral signing chain). A cached verdict
	// must not be used at or after it.
	ValidUntil time.Time

	// Debug reports the TD's DEBUG attribute (bit 0 of TDATTRIBUTES).
	Debug bool
	// SEPTVEDisable reports the SEPT_VE_DISABLE attribute (bit 28).
	SEPTVEDisable bool

	// Dstack is the verified dstack evidence; nil when only a quote was verified.
	Dstack *Dstack

	// Checks lists every check of the verification in the order it ran,
	// each passed, failed or skipped with the reason. A check that did not
	// run is never reported as passed.
	Checks []CheckResult
}

// tdAttributesHex is the quote's TDATTRIBUTES in hex, or "" without a quote.
func (r *Report) tdAttributesHex() string {
	return hex.EncodeToString(r.Body.TDAttributes[:])
}
