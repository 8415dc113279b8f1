package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// checkQEReportSignature checks that the PCK leaf key signed the QE report.
// A report and signature verified before with the same chain are not
// verified again: the signature's validity does not depend on the time,
// and the chain was checked at this verification's time.
func (v *Verifier) checkQEReportSignature(q *quote.Quote, chain *pckChain) error {
	key := qeReportKey(chain.key, q.QEReportRaw, q.QEReportSignature[:])
	if _, ok := v.qeReports.Get(key); ok {
		return nil
	}
	pub, _ := chain.leaf.PublicKey.(*ecdsa.PublicKey)
	if !verifyRawSignature(pub, q.QEReportRaw, q.QEReportSignature[:]) {
		return &Error{Kind: KindQEReportSignature, Check: "qe report signature",
			Expected: "signature by the PCK certificate key", Found: "invalid signature", Err: errBadSignature}
	}
	v.qeReports.Add(key, struct{}{})
	return nil
}

// checkQEReportBinding checks that the QE report vouches for the quote's
// attestation key: report_data is SHA-256(attestation key || QE auth data)
// followed by 32 zero bytes.
func checkQEReportBinding(q *quote.Quote) error {
	h := sha256.New()
	h.Write(q.AttestationKey[:])
	h.Write(q.QEAuthData)
	var want [64]byte
	h.Sum(want[:0])
	got := q.QEReport.ReportData
	if !bytes.Equal(got[:], want[:]) {
		return mismatch(KindQEReportBinding, "qe report data",
			hex.EncodeToString(want[:]), hex.EncodeToString(got[:]))
	}
	return nil
}

// checkQEIdentity compares the QE report with the QE identity as Intel's
// QVL does (EnclaveReportVerifier::verify): MRSIGNER and ISVPRODID
// exactly, MISCSELECT and ATTRIBUTES of the report under the identity's
// masks equal to the identity's values as they are, so that an identity
// bit outside its mask matches no report. The JSON miscselect values are
// the report's bytes in order, so they are read as little-endian like the
// report's MISCSELECT.
func checkQEIdentity(id *collateral.QEIdentity, r *quote.EnclaveReport) error {
	const check = "qe identity"
	if !bytes.Equal(id.MRSigner, r.MRSigner[:]) {
		return mismatch(KindQEIdentityMismatch, check+": mrsigner", hex.EncodeToString(id.MRSigner), hex.EncodeToString(r.MRSigner[:]))
	}
	if id.ISVProdID != r.ISVProdID {
		return mismatch(KindQEIdentityMismatch, check+": isvprodid", strconv.Itoa(int(id.ISVProdID)), strconv.Itoa(int(r.ISVProdID)))
	}
	mask := binary.LittleEndian.Uint32(id.MiscSelectMask)
	want := binary.LittleEndian.Uint32(id.MiscSelect)
	if r.MiscSelect&mask != want {
		return mismatch(KindQEIdentityMismatch, check+": miscselect",
			fmt.Sprintf("%08x under mask %08x", want, mask), fmt.Sprintf("%08x", r.MiscSelect))
	}
	for i := range r.Attributes {
		if r.Attributes[i]&id.AttributesMask[i] != id.Attributes[i] {
			return mismatch(KindQEIdentityMismatch, check+": attributes",
				hex.EncodeToString(id.Attributes)+" under mask "+hex.EncodeToString(id.AttributesMask),
				hex.EncodeToString(r.Attributes[:]))
		}
	}
	return nil
}

// matchISVLevel returns the first level, in the order given, whose isvsvn
// is at most svn; nil if there is none. QE identity levels are given in
// their signed order, module levels highest isvsvn first (dcap_levels.go).
func matchISVLevel(levels []collateral.ISVTCBLevel, svn uint16) *collateral.ISVTCBLevel {
	for i := range levels {
		if levels[i].TCB.ISVSVN <= svn {
			return &levels[i]
		}
	}
	return nil
}
