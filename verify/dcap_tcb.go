package verify

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// tcbOutcome is how the collateral rates a quote's TCB (checks 5 to 8).
type tcbOutcome struct {
	final, platform, module, qe TCBStatus
	tcbDate, outOfDateSince     time.Time
	advisories                  []string
}

// evaluateTCB rates the platform, the TDX module (module is its index in
// the TCB info's tdxModuleIdentities, from checkTDXModuleIdentity) and the
// QE of q against verified collateral, and converges the three statuses as
// Intel's reference verifier does. The QE's identity is already checked.
func evaluateTCB(vc *verifiedCollateral, q *quote.Quote, tcb *pck.TCB, module int) (*tcbOutcome, error) {
	body := &q.Body
	// Check 5: the QE's level, the levels taken in their signed order.
	qeLevel := matchISVLevel(vc.qeIdentity.TCBLevels, q.QEReport.ISVSVN)
	if qeLevel == nil {
		return nil, mismatch(KindTCBNotSupported, "qe tcb level",
			fmt.Sprintf("a QE identity level with isvsvn <= %d", q.QEReport.ISVSVN), "none")
	}

	// Check 6: the platform level, the levels in Intel's order.
	sgxIdx, tdxIdx, err := matchPlatformLevel(vc.platformLevels, tcb, body.TEETCBSVN)
	if err != nil {
		return nil, err
	}
	level := &vc.platformLevels[tdxIdx]
	out := &tcbOutcome{
		platform: TCBStatus(level.TCBStatus),
		qe:       TCBStatus(qeLevel.TCBStatus),
		tcbDate:  level.TCBDate,
	}
	out.outOfDateSince = outOfDateSince(vc.platformLevels, tdxIdx)
	sgxStatus := TCBStatus(vc.platformLevels[sgxIdx].TCBStatus)

	// Check 7: the TDX module level.
	var moduleAdvisories []string
	status := out.platform
	if body.TEETCBSVN[1] > 0 {
		ml, err := matchModuleLevel(vc.moduleLevels[module], body.TEETCBSVN)
		if err != nil {
			return nil, err
		}
		out.module = TCBStatus(ml.TCBStatus)
		moduleAdvisories = ml.AdvisoryIDs
		// Check 8: converge with the module.
		status = converge(status, out.module)
	}

	// Check 8, continued: a TD 1.5 whose module was updated in place may
	// only need a relaunch; then the QE.
	if status != StatusRevoked {
		if q.BodyType == quote.BodyTypeTD15 {
			status, err = checkRelaunch(vc, body.TEETCBSVN2, sgxStatus, status, out.module, out.qe)
			if err != nil {
				return nil, err
			}
		}
		status = converge(status, out.qe)
	}
	out.final = status
	out.advisories = unionAdvisories(level.AdvisoryIDs, moduleAdvisories, qeLevel.AdvisoryIDs)
	return out, nil
}

// outOfDateSince returns when the platform whose TDX level is levels[idx]
// fell behind: zero when it matched the newest level, else the tcbDate of the
// earliest newer level dated after its own, the TCB recovery it first
// missed (levels of one recovery share a date). When every level above
// carries its date or an older one, the platform only lacks a configuration or
// hardening variant of its recovery and the newest level's date stands.
func outOfDateSince(levels []collateral.TCBLevel, idx int) time.Time {
	if idx <= 0 {
		return time.Time{}
	}
	own := levels[idx].TCBDate
	var since time.Time
	for _, l := range levels[:idx] {
		if l.TCBDate.After(own) && (since.IsZero() || l.TCBDate.Before(since)) {
			since = l.TCBDate
		}
	}
	if since.IsZero() {
		return levels[0].TCBDate
	}
	return since
}

// matchPlatformLevel walks the TCB levels in the order given, which is
// Intel's (platformLevelsInOrder), as QVL's matchTcbLevels does
// (AttestationLibrary/src/Verifiers/Checks/TcbLevelCheck.cpp). The SGX
// level is the first whose 16 SGX component SVNs and PCESVN are all at
// most the PCK certificate's; the TDX level is the first from there on
// that also has every TDX component SVN at most TEE_TCB_SVN, skipping
// bytes 0 and 1 (the TDX module's own) when TEE_TCB_SVN[1] is not zero.
func matchPlatformLevel(levels []collateral.TCBLevel, tcb *pck.TCB, teeTCBSVN [16]byte) (sgxIdx, tdxIdx int, err error) {
	sgxIdx = -1
	for i := range levels {
		l := &levels[i]
		if !sgxAtMost(l, tcb) {
			continue
		}
		if sgxIdx < 0 {
			sgxIdx = i
		}
		if tdxAtMost(l, teeTCBSVN) {
			return sgxIdx, i, nil
		}
	}
	if sgxIdx < 0 {
		return 0, 0, mismatch(KindTCBNotSupported, "platform tcb level",
			"a level with SGX SVNs and PCESVN at most the PCK certificate's",
			fmt.Sprintf("none for CPUSVN components %s and PCESVN %d", hex.EncodeToString(tcb.CPUSVNComponents[:]), tcb.PCESVN))
	}
	return 0, 0, mismatch(KindTCBNotSupported, "platform tcb level",
		"a level with TDX SVNs at most TEE_TCB_SVN",
		"none for TEE_TCB_SVN "+hex.EncodeToString(teeTCBSVN[:]))
}

// sgxAtMost reports whether every SGX component SVN and the PCESVN of l are
// at most the PCK certificate's.
func sgxAtMost(l *collateral.TCBLevel, tcb *pck.TCB) bool {
	if len(l.TCB.SGXComponents) != len(tcb.CPUSVNComponents) || l.TCB.PCESVN > tcb.PCESVN {
		return false
	}
	for i, c := range l.TCB.SGXComponents {
		if c.SVN > tcb.CPUSVNComponents[i] {
			return false
		}
	}
	return true
}

// tdxAtMost reports whether every TDX component SVN of l is at most
// TEE_TCB_SVN, bytes 0 and 1 excepted when a TDX module major version is set.
func tdxAtMost(l *collateral.TCBLevel, teeTCBSVN [16]byte) bool {
	if len(l.TCB.TDXComponents) != len(teeTCBSVN) {
		return false
	}
	start := 0
	if teeTCBSVN[1] > 0 {
		start = 2
	}
	for i := start; i < len(teeTCBSVN); i++ {
		if l.TCB.TDXComponents[i].SVN > teeTCBSVN[i] {
			return false
		}
	}
	return true
}

// moduleIdentity returns the index of the TDX module identity "TDX_%02X" of
// major version major, compared without regard to case, or -1.
func moduleIdentity(info *collateral.TCBInfo, major byte) int {
	id := fmt.Sprintf("TDX_%02X", major)
	for i := range info.TDXModuleIdentities {
		if strings.EqualFold(info.TDXModuleIdentities[i].ID, id) {
			return i
		}
	}
	return -1
}

// checkTDXModuleIdentity compares MRSIGNERSEAM and SEAMATTRIBUTES with the
// module the TCB info expects: its tdxModule (which ParseTCBInfo requires
// of a TDX TCB info), or, when TEE_TCB_SVN[1] names a module major
// version, that version's identity, whose index in
// info.TDXModuleIdentities it returns (-1 for tdxModule). It compares as
// Intel's QVL does (QuoteVerifier::verify, step 4.1.2.4.11): MRSIGNERSEAM
// equal to the module's mrsigner, and every SEAMATTRIBUTES byte zero and
// equal to the module's attributes byte. QVL applies no attributesMask, so
// neither does this: a TCB info whose module attributes are not zero
// matches no quote.
func checkTDXModuleIdentity(info *collateral.TCBInfo, body *quote.Body) (int, error) {
	const check = "tdx module"
	signer, attrs := info.TDXModule.MRSigner, info.TDXModule.Attributes
	i := -1
	if major := body.TEETCBSVN[1]; major > 0 {
		if i = moduleIdentity(info, major); i < 0 {
			return -1, mismatch(KindTDXModuleMismatch, check+" identity", fmt.Sprintf("TDX_%02X in the TCB info", major), "none")
		}
		m := &info.TDXModuleIdentities[i]
		signer, attrs = m.MRSigner, m.Attributes
	}
	if string(signer) != string(body.MRSignerSEAM[:]) {
		return -1, mismatch(KindTDXModuleMismatch, check+": mrsignerseam", hex.EncodeToString(signer), hex.EncodeToString(body.MRSignerSEAM[:]))
	}
	for j, b := range body.SEAMAttributes {
		if b != 0 || b != attrs[j] {
			return -1, mismatch(KindTDXModuleMismatch, check+": seamattributes",
				"zero, as are the TCB info's attributes (found "+hex.EncodeToString(attrs)+")",
				hex.EncodeToString(body.SEAMAttributes[:]))
		}
	}
	return i, nil
}

// matchModuleLevel returns the level of the running TDX module: among the
// levels of its identity (major version TEE_TCB_SVN[1], found by
// checkTDXModuleIdentity), highest isvsvn first, the first whose isvsvn is
// at most TEE_TCB_SVN[0], as QVL's checkTdxModuleTcbStatus does
// (AttestationLibrary/src/Verifiers/Checks/TdxModuleCheck.cpp).
func matchModuleLevel(levels []collateral.ISVTCBLevel, teeTCBSVN [16]byte) (*collateral.ISVTCBLevel, error) {
	l := matchISVLevel(levels, uint16(teeTCBSVN[0]))
	if l == nil {
		return nil, mismatch(KindTCBNotSupported, "tdx module tcb level",
			fmt.Sprintf("a TDX_%02X level with isvsvn <= %d", teeTCBSVN[1], teeTCBSVN[0]), "none")
	}
	return l, nil
}

// checkRelaunch applies Intel's TD relaunch rule to a TD 1.5: when the
// platform is current (SGX level not out of date), only the TDX module
// makes the TD out of date, and the module the TD would run after a
// relaunch (TEE_TCB_SVN2) meets the newest level, the TD only needs a
// relaunch. Otherwise the status stands.
func checkRelaunch(vc *verifiedCollateral, svn2 [16]byte, sgx, tdx, module, qe TCBStatus) (TCBStatus, error) {
	if qe == StatusOutOfDate || qe == StatusRevoked {
		return tdx, nil
	}
	switch sgx {
	case StatusUpToDate, StatusSWHardeningNeeded, StatusConfigurationNeeded, StatusConfigurationAndSWHardeningNeeded:
	default:
		return tdx, nil
	}
	if (tdx != StatusOutOfDate && tdx != StatusOutOfDateConfigurationNeeded) || module != StatusOutOfDate {
		return tdx, nil
	}
	// QVL's "latest" level is the first in its order
	// (TDRelaunchCheck.cpp: tcbInfo.getTcbLevels().begin()).
	newest := &vc.platformLevels[0]
	var moduleCurrent bool
	if svn2[1] == 0 {
		moduleCurrent = svn2[0] >= newest.TCB.TDXComponents[0].SVN
	} else {
		i := moduleIdentity(vc.tcbInfo, svn2[1])
		if i < 0 {
			return "", mismatch(KindTDXModuleMismatch, "tdx module identity (TEE_TCB_SVN2)", fmt.Sprintf("TDX_%02X in the TCB info", svn2[1]), "none")
		}
		moduleCurrent = uint16(svn2[0]) >= vc.moduleLevels[i][0].TCB.ISVSVN
	}
	if !moduleCurrent || svn2[2] < newest.TCB.TDXComponents[2].SVN {
		return tdx, nil
	}
	if needsConfiguration(sgx) || needsConfiguration(tdx) {
		return StatusTDRelaunchAdvisedConfigurationNeeded, nil
	}
	return StatusTDRelaunchAdvised, nil
}
