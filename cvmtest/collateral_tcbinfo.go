package cvmtest

import (
	"bytes"
	"encoding/binary"
	"slices"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// Identity of Intel's TDX quoting enclave, as published in its QE identity;
// the default quote's QE report and the default QE identity both use it.
var (
	// DefaultQEMRSigner is the MRSIGNER of Intel's TD quoting enclave.
	DefaultQEMRSigner = [32]byte{
		0xDC, 0x9E, 0x2A, 0x7C, 0x6F, 0x94, 0x8F, 0x17, 0x47, 0x4E, 0x34, 0xA7, 0xFC, 0x43, 0xED, 0x03,
		0x0F, 0x7C, 0x15, 0x63, 0xF1, 0xBA, 0xBD, 0xDF, 0x63, 0x40, 0xC8, 0x2E, 0x0E, 0x54, 0xA8, 0xC5,
	}
	// DefaultQEAttributes are the QE report attributes of the default
	// quote. The second half (XFRM) is outside the identity's mask.
	DefaultQEAttributes = [16]byte{0x11, 8: 0xE7}

	qeIdentityAttributes     = [16]byte{0x11}
	qeIdentityAttributesMask = [16]byte{0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	qeMiscSelectMask         = uint32(0xFFFFFFFF)
)

// Constants of the default QE identity and TCB info.
const (
	// DefaultQEISVProdID is the ISVPRODID of Intel's TD quoting enclave.
	DefaultQEISVProdID = 2
	// DefaultQEMiscSelect is the MISCSELECT of Intel's TD quoting enclave.
	DefaultQEMiscSelect = 0
	// DefaultTCBEvaluationDataNumber is the tcbEvaluationDataNumber of the
	// default TCB info and QE identity.
	DefaultTCBEvaluationDataNumber = 17
)

// sgxComponentNames and tdxComponentNames are the category and type Intel
// gives the first TCB components; the rest are unnamed.
var (
	sgxComponentNames = [][2]string{
		{"BIOS", "Early Microcode Update"},
		{"OS/VMM", "SGX Late Microcode Update"},
		{"OS/VMM", "TXT SINIT"},
		{"BIOS", ""},
		{"BIOS", ""},
		{"BIOS", ""},
		{"", ""},
		{"OS/VMM", "SEAMLDR ACM"},
	}
	tdxComponentNames = [][2]string{
		{"OS/VMM", "TDX Module"},
		{"OS/VMM", "TDX Module"},
		{"OS/VMM", "TDX Late Microcode Update"},
	}
)

// DefaultTCBInfo returns the default TDX TCB info for p, valid from issue
// until next: version 3, id "TDX", p's FMSPC and PCE id, the platform levels,
// module identities and TDX module described at PlatformFor.
func (p *PKI) DefaultTCBInfo(issue, next time.Time) *collateral.TCBInfo {
	zero8 := make([]byte, 8)
	ones8 := bytes.Repeat([]byte{0xFF}, 8)
	zero48 := make([]byte, 48)
	info := &collateral.TCBInfo{
		ID:                      "TDX",
		Version:                 3,
		IssueDate:               issue.UTC().Truncate(time.Second),
		NextUpdate:              next.UTC().Truncate(time.Second),
		FMSPC:                   collateral.HexBytes(slices.Clone(p.Extensions.FMSPC[:])),
		PCEID:                   collateral.HexBytes(slices.Clone(p.Extensions.PCEID[:])),
		TCBType:                 0,
		TCBEvaluationDataNumber: DefaultTCBEvaluationDataNumber,
		TDXModule: &collateral.TDXModule{
			MRSigner:       zero48,
			Attributes:     zero8,
			AttributesMask: ones8,
		},
	}
	for _, mi := range moduleIdentities {
		id := collateral.TDXModuleIdentity{
			ID:             moduleID(mi.major),
			MRSigner:       slices.Clone(zero48),
			Attributes:     slices.Clone(zero8),
			AttributesMask: slices.Clone(ones8),
		}
		for _, l := range mi.levels {
			id.TCBLevels = append(id.TCBLevels, isvTCBLevel(l))
		}
		info.TDXModuleIdentities = append(info.TDXModuleIdentities, id)
	}
	for _, l := range platformLevels {
		sgx := baseSGXComponents
		sgx[0] = l.cpusvn0
		tdx := baseTDXComponents
		tdx[2] = l.tdx2
		info.TCBLevels = append(info.TCBLevels, collateral.TCBLevel{
			TCB: collateral.TCBComponents{
				SGXComponents: components(sgx, sgxComponentNames),
				PCESVN:        l.pcesvn,
				TDXComponents: components(tdx, tdxComponentNames),
			},
			TCBDate:     l.TCBDate,
			TCBStatus:   l.Status,
			AdvisoryIDs: slices.Clone(l.AdvisoryIDs),
		})
	}
	return info
}

// DefaultQEIdentity returns the default TD_QE identity (version 2), valid
// from issue until next, matching Intel's quoting enclave and the levels
// described at QEFor.
func DefaultQEIdentity(issue, next time.Time) *collateral.QEIdentity {
	misc := binary.LittleEndian.AppendUint32(nil, DefaultQEMiscSelect)
	miscMask := binary.LittleEndian.AppendUint32(nil, qeMiscSelectMask)
	id := &collateral.QEIdentity{
		ID:                      "TD_QE",
		Version:                 2,
		IssueDate:               issue.UTC().Truncate(time.Second),
		NextUpdate:              next.UTC().Truncate(time.Second),
		TCBEvaluationDataNumber: DefaultTCBEvaluationDataNumber,
		MiscSelect:              misc,
		MiscSelectMask:          miscMask,
		Attributes:              slices.Clone(qeIdentityAttributes[:]),
		AttributesMask:          slices.Clone(qeIdentityAttributesMask[:]),
		MRSigner:                slices.Clone(DefaultQEMRSigner[:]),
		ISVProdID:               DefaultQEISVProdID,
	}
	for _, l := range qeLevels {
		id.TCBLevels = append(id.TCBLevels, isvTCBLevel(l))
	}
	return id
}

func isvTCBLevel(l isvLevel) collateral.ISVTCBLevel {
	return collateral.ISVTCBLevel{
		TCB:         collateral.ISVSVN{ISVSVN: l.isvsvn},
		TCBDate:     l.TCBDate,
		TCBStatus:   l.Status,
		AdvisoryIDs: slices.Clone(l.AdvisoryIDs),
	}
}

// components expands 16 SVNs into TCB components named like Intel's.
func components(svns [16]uint8, names [][2]string) []collateral.TCBComponent {
	out := make([]collateral.TCBComponent, len(svns))
	for i, svn := range svns {
		out[i].SVN = svn
		if i < len(names) {
			out[i].Category, out[i].Type = names[i][0], names[i][1]
		}
	}
	return out
}
