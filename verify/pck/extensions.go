// Package pck decodes and encodes the Intel SGX extension of PCK (Provisioning
// Certification Key) certificates: the platform's identity (PPID, FMSPC,
// PCE-ID) and the TCB it was certified at, which DCAP verification matches
// against Intel's TCB info.
//
// Parsing is strict DER: required fields must be present exactly once and
// of the right size, SVNs must be in range, and nothing may trail a value.
// Unknown fields are skipped, so that a field Intel adds later does not
// break verification.
package pck

import (
	"encoding/asn1"
	"encoding/hex"
	"strings"
)

// OID is the object identifier of the SGX extension of a PCK certificate.
var OID = asn1.ObjectIdentifier{1, 2, 840, 113741, 1, 13, 1}

// SGX types (field .5 of the extension).
const (
	SGXTypeStandard              = 0
	SGXTypeScalable              = 1
	SGXTypeScalableWithIntegrity = 2
)

// Sizes of the fixed-size fields.
const (
	PPIDSize               = 16
	PlatformInstanceIDSize = 16
)

// Extensions is the decoded SGX extension (OID 1.2.840.113741.1.13.1).
type Extensions struct {
	// PPID is the 16-byte platform provisioning id (.1).
	PPID []byte
	// TCB is the TCB the PCK certificate was issued for (.2).
	TCB TCB
	// PCEID identifies the provisioning certification enclave (.3).
	PCEID [2]byte
	// FMSPC is the family-model-stepping-platform-custom-SKU (.4) that
	// selects the TCB info.
	FMSPC [6]byte
	// SGXType is SGXTypeStandard, SGXTypeScalable or
	// SGXTypeScalableWithIntegrity (.5).
	SGXType int
	// PlatformInstanceID is the 16-byte id of a multi-package platform
	// (.6), or nil when absent.
	PlatformInstanceID []byte
	// Configuration describes a multi-package platform (.7), or is nil
	// when absent.
	Configuration *Configuration
}

// TCB is the TCB level of a PCK certificate (.2).
type TCB struct {
	// CPUSVNComponents are the 16 CPU SVN components (.2.1 to .2.16),
	// compared with the sgxtcbcomponents of a TCB info level.
	CPUSVNComponents [16]uint8
	// PCESVN is the PCE security version (.2.17).
	PCESVN uint16
	// CPUSVN is the raw 16-byte CPU SVN (.2.18).
	CPUSVN [16]byte
}

// Configuration is the platform configuration of a multi-package platform
// (.7). A flag missing from the certificate reads as false.
type Configuration struct {
	// DynamicPlatform reports whether packages can be added (.7.1).
	DynamicPlatform bool
	// CachedKeys reports whether platform root keys are cached (.7.2).
	CachedKeys bool
	// SMTEnabled reports whether simultaneous multithreading is on (.7.3).
	SMTEnabled bool
}

// FMSPCHex returns the FMSPC as upper-case hex, as Intel's TCB info and
// PCS URLs spell it (for example "B0C06F000000").
func (e *Extensions) FMSPCHex() string { return strings.ToUpper(hex.EncodeToString(e.FMSPC[:])) }

// PCEIDHex returns the PCE-ID as upper-case hex (for example "0000").
func (e *Extensions) PCEIDHex() string { return strings.ToUpper(hex.EncodeToString(e.PCEID[:])) }
