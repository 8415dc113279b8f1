package collateral

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Items named in a FormatError.
const (
	itemTCBInfo    = "tcb info"
	itemQEIdentity = "qe identity"
	itemPCKCRL     = "pck crl"
	itemRootCACRL  = "root ca crl"
	itemBundle     = "bundle"
)

// Sizes fixed by Intel's TCB info v3 and enclave identity v2 formats.
const (
	numTCBComponents   = 16
	fmspcSize          = 6
	pceIDSize          = 2
	seamMRSignerSize   = 48
	seamAttributesSize = 8
	miscSelectSize     = 4
	qeAttributesSize   = 16
	qeMRSignerSize     = 32
)

// tdxID is the id of a TDX TCB info, which carries TDX components and a
// TDX module.
const tdxID = "TDX"

// ParseTCBInfo parses the signed "tcbInfo" JSON value of Intel's TCB info
// (the exact bytes in Collateral.TCBInfo).
//
// It checks shape only: required fields are present with the right JSON
// types, hex fields have their fixed sizes, every level has a status and a
// date, 16 SGX components and, for id "TDX", 16 TDX components and a
// tdxModule. tdxModuleIdentities may be absent but not empty. Members must
// be named exactly and given once (see decoder). It reads raw in one pass.
// It does not check the id, version, signature or dates; package verify
// does. Errors are *FormatError and match ErrMalformed.
func ParseTCBInfo(raw []byte) (*TCBInfo, error) {
	t := new(TCBInfo)
	if err := t.decode(&decoder{item: itemTCBInfo}, raw); err != nil {
		return nil, err
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// ParseQEIdentity parses the signed "enclaveIdentity" JSON value of Intel's
// QE identity (the exact bytes in Collateral.QEIdentity).
//
// Like ParseTCBInfo it checks shape only. Errors are *FormatError and match
// ErrMalformed.
func ParseQEIdentity(raw []byte) (*QEIdentity, error) {
	q := new(QEIdentity)
	if err := q.decode(&decoder{item: itemQEIdentity}, raw); err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	return q, nil
}

// decodeErr turns an encoding/json error into a *FormatError, naming the
// field where encoding/json knows it.
func decodeErr(item string, err error) *FormatError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return formatErr(item, typeErr.Field, "expected JSON for %v, found JSON %s", typeErr.Type, typeErr.Value)
	}
	return &FormatError{Item: item, Err: err}
}

// check verifies the shape of a decoded TCB info.
func (t *TCBInfo) check() error {
	const item = itemTCBInfo
	if err := checkDates(item, t.IssueDate, t.NextUpdate); err != nil {
		return err
	}
	if err := checkSize(item, "fmspc", t.FMSPC, fmspcSize); err != nil {
		return err
	}
	if err := checkSize(item, "pceId", t.PCEID, pceIDSize); err != nil {
		return err
	}
	// Intel's QVL refuses a TDX TCB info without tdxModule, and an empty
	// tdxModuleIdentities (TcbInfo::parsePartV3).
	if m := t.TDXModule; m != nil {
		if err := checkSEAM(item, "tdxModule", m.MRSigner, m.Attributes, m.AttributesMask); err != nil {
			return err
		}
	} else if t.ID == tdxID {
		return formatErr(item, "tdxModule", "expected a TDX module in a TDX TCB info, found none")
	}
	if t.TDXModuleIdentities != nil && len(t.TDXModuleIdentities) == 0 {
		return formatErr(item, "tdxModuleIdentities", "expected at least one module identity, found none")
	}
	for i, m := range t.TDXModuleIdentities {
		field := fmt.Sprintf("tdxModuleIdentities[%d]", i)
		if m.ID == "" {
			return formatErr(item, field+".id", "expected a module id, found none")
		}
		if err := checkSEAM(item, field, m.MRSigner, m.Attributes, m.AttributesMask); err != nil {
			return err
		}
		if err := checkISVLevels(item, field+".tcbLevels", m.TCBLevels); err != nil {
			return err
		}
	}
	if len(t.TCBLevels) == 0 {
		return formatErr(item, "tcbLevels", "expected at least one level, found none")
	}
	for i, l := range t.TCBLevels {
		field := fmt.Sprintf("tcbLevels[%d]", i)
		if n := len(l.TCB.SGXComponents); n != numTCBComponents {
			return formatErr(item, field+".tcb.sgxtcbcomponents",
				"expected %d components, found %d", numTCBComponents, n)
		}
		n := len(l.TCB.TDXComponents)
		if (t.ID == tdxID && n != numTCBComponents) || (n != 0 && n != numTCBComponents) {
			return formatErr(item, field+".tcb.tdxtcbcomponents",
				"expected %d components, found %d", numTCBComponents, n)
		}
		if err := checkLevel(item, field, l.TCBStatus, l.TCBDate); err != nil {
			return err
		}
	}
	return nil
}

// check verifies the shape of a decoded QE identity.
func (q *QEIdentity) check() error {
	const item = itemQEIdentity
	if err := checkDates(item, q.IssueDate, q.NextUpdate); err != nil {
		return err
	}
	sizes := []struct {
		field string
		value []byte
		size  int
	}{
		{"miscselect", q.MiscSelect, miscSelectSize},
		{"miscselectMask", q.MiscSelectMask, miscSelectSize},
		{"attributes", q.Attributes, qeAttributesSize},
		{"attributesMask", q.AttributesMask, qeAttributesSize},
		{"mrsigner", q.MRSigner, qeMRSignerSize},
	}
	for _, s := range sizes {
		if err := checkSize(item, s.field, s.value, s.size); err != nil {
			return err
		}
	}
	return checkISVLevels(item, "tcbLevels", q.TCBLevels)
}

// checkDates requires both dates to be set.
func checkDates(item string, issue, next time.Time) error {
	if issue.IsZero() {
		return formatErr(item, "issueDate", "expected a date, found the zero time")
	}
	if next.IsZero() {
		return formatErr(item, "nextUpdate", "expected a date, found the zero time")
	}
	return nil
}

// checkSize requires b to be exactly size bytes long.
func checkSize(item, field string, b []byte, size int) error {
	if len(b) != size {
		return formatErr(item, field, "expected %d bytes, found %d", size, len(b))
	}
	return nil
}

// checkSEAM checks the sizes of a TDX module's signer and attributes.
func checkSEAM(item, field string, mrSigner, attrs, mask []byte) error {
	if err := checkSize(item, field+".mrsigner", mrSigner, seamMRSignerSize); err != nil {
		return err
	}
	if err := checkSize(item, field+".attributes", attrs, seamAttributesSize); err != nil {
		return err
	}
	return checkSize(item, field+".attributesMask", mask, seamAttributesSize)
}

// checkISVLevels requires at least one level, each with a status and a date.
func checkISVLevels(item, field string, levels []ISVTCBLevel) error {
	if len(levels) == 0 {
		return formatErr(item, field, "expected at least one level, found none")
	}
	for i, l := range levels {
		if err := checkLevel(item, fmt.Sprintf("%s[%d]", field, i), l.TCBStatus, l.TCBDate); err != nil {
			return err
		}
	}
	return nil
}

// checkLevel requires a TCB level to have a status and a date.
func checkLevel(item, field, status string, date time.Time) error {
	if status == "" {
		return formatErr(item, field+".tcbStatus", "expected a status, found none")
	}
	if date.IsZero() {
		return formatErr(item, field+".tcbDate", "expected a date, found none")
	}
	return nil
}
