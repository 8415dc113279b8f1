package collateral

import (
	"time"

	"github.com/cvmgate/cvmgate/internal/jsonread"
)

// TCBInfo is the parsed TDX TCB info (version 3, id "TDX").
type TCBInfo struct {
	ID                      string              `json:"id"`
	Version                 int                 `json:"version"`
	IssueDate               time.Time           `json:"issueDate"`
	NextUpdate              time.Time           `json:"nextUpdate"`
	FMSPC                   HexBytes            `json:"fmspc"`
	PCEID                   HexBytes            `json:"pceId"`
	TCBType                 int                 `json:"tcbType"`
	TCBEvaluationDataNumber int                 `json:"tcbEvaluationDataNumber"`
	TDXModule               *TDXModule          `json:"tdxModule,omitempty"`
	TDXModuleIdentities     []TDXModuleIdentity `json:"tdxModuleIdentities,omitempty"`
	TCBLevels               []TCBLevel          `json:"tcbLevels"`
}

// TDXModule is the identity of the TDX module (SEAM) expected by the platform.
type TDXModule struct {
	MRSigner       HexBytes `json:"mrsigner"`
	Attributes     HexBytes `json:"attributes"`
	AttributesMask HexBytes `json:"attributesMask"`
}

// TDXModuleIdentity describes one TDX module major version ("TDX_01", ...).
type TDXModuleIdentity struct {
	ID             string        `json:"id"`
	MRSigner       HexBytes      `json:"mrsigner"`
	Attributes     HexBytes      `json:"attributes"`
	AttributesMask HexBytes      `json:"attributesMask"`
	TCBLevels      []ISVTCBLevel `json:"tcbLevels"`
}

// TCBLevel is one platform TCB level of the TCB info.
type TCBLevel struct {
	TCB         TCBComponents `json:"tcb"`
	TCBDate     time.Time     `json:"tcbDate"`
	TCBStatus   string        `json:"tcbStatus"`
	AdvisoryIDs []string      `json:"advisoryIDs,omitempty"`
}

// TCBComponents are the SVNs a platform TCB level requires.
type TCBComponents struct {
	SGXComponents []TCBComponent `json:"sgxtcbcomponents"`
	PCESVN        uint16         `json:"pcesvn"`
	TDXComponents []TCBComponent `json:"tdxtcbcomponents"`
}

// TCBComponent is one SVN of a TCB level.
type TCBComponent struct {
	SVN      uint8  `json:"svn"`
	Category string `json:"category,omitempty"`
	Type     string `json:"type,omitempty"`
}

// ISVTCBLevel is a TCB level keyed by a single ISV SVN, used by the QE
// identity and the TDX module identities.
type ISVTCBLevel struct {
	TCB         ISVSVN    `json:"tcb"`
	TCBDate     time.Time `json:"tcbDate"`
	TCBStatus   string    `json:"tcbStatus"`
	AdvisoryIDs []string  `json:"advisoryIDs,omitempty"`
}

// ISVSVN wraps the isvsvn of an ISVTCBLevel.
type ISVSVN struct {
	ISVSVN uint16 `json:"isvsvn"`
}

// QEIdentity is the parsed TDX quoting enclave identity (id "TD_QE").
type QEIdentity struct {
	ID                      string        `json:"id"`
	Version                 int           `json:"version"`
	IssueDate               time.Time     `json:"issueDate"`
	NextUpdate              time.Time     `json:"nextUpdate"`
	TCBEvaluationDataNumber int           `json:"tcbEvaluationDataNumber"`
	MiscSelect              HexBytes      `json:"miscselect"`
	MiscSelectMask          HexBytes      `json:"miscselectMask"`
	Attributes              HexBytes      `json:"attributes"`
	AttributesMask          HexBytes      `json:"attributesMask"`
	MRSigner                HexBytes      `json:"mrsigner"`
	ISVProdID               uint16        `json:"isvprodid"`
	TCBLevels               []ISVTCBLevel `json:"tcbLevels"`
}

// HexBytes is a byte string carried as hex in collateral JSON.
type HexBytes []byte

// Members of the TCB info and QE identity, the required ones first (see
// decoder.top): those Intel's QVL requires (TcbInfo::parse and
// parsePartV2, EnclaveIdentityV2's constructor), then optional ones that
// must not be null when present.
var (
	tcbInfoMembers = []string{"id", "version", "issueDate", "nextUpdate", "fmspc", "pceId",
		"tcbType", "tcbEvaluationDataNumber", "tcbLevels", "tdxModule", "tdxModuleIdentities"}
	qeIdentityMembers = []string{"id", "version", "issueDate", "nextUpdate", "tcbEvaluationDataNumber",
		"miscselect", "miscselectMask", "attributes", "attributesMask", "mrsigner", "isvprodid", "tcbLevels"}
)

// Numbers of required and not-null members of tcbInfoMembers and
// qeIdentityMembers.
const (
	tcbInfoRequired, tcbInfoNotNull       = 9, 2
	qeIdentityRequired, qeIdentityNotNull = 12, 0
)

// decode reads a TCB info in one pass (see decoder).
func (t *TCBInfo) decode(d *decoder, raw []byte) error {
	return d.top(raw, tcbInfoMembers, tcbInfoRequired, tcbInfoNotNull, func(name string) error {
		switch name {
		case "id":
			return d.str("", name, &t.ID)
		case "version":
			return d.int("", name, &t.Version)
		case "issueDate":
			return d.time("", name, &t.IssueDate)
		case "nextUpdate":
			return d.time("", name, &t.NextUpdate)
		case "fmspc":
			return d.hex("", name, &t.FMSPC)
		case "pceId":
			return d.hex("", name, &t.PCEID)
		case "tcbType":
			return d.int("", name, &t.TCBType)
		case "tcbEvaluationDataNumber":
			return d.int("", name, &t.TCBEvaluationDataNumber)
		case "tdxModule":
			t.TDXModule = nil
			if d.r.Peek() != jsonread.Object {
				_, _, err := d.object("", name, nil, nil) // null, or the error of another type
				return err
			}
			t.TDXModule = new(TDXModule)
			return t.TDXModule.decode(d)
		case "tdxModuleIdentities":
			var err error
			t.TDXModuleIdentities, err = decodeArray(d, "", name, func(m *TDXModuleIdentity) error { return m.decode(d) })
			return err
		default: // tcbLevels
			var err error
			t.TCBLevels, err = decodeArray(d, "", name, func(l *TCBLevel) error { return l.decode(d) })
			return err
		}
	})
}

// decode reads the tdxModule object.
func (m *TDXModule) decode(d *decoder) error {
	const path = "tdxModule"
	_, _, err := d.object("", path, []string{"mrsigner", "attributes", "attributesMask"}, func(name string) error {
		return d.moduleMember(path, name, &m.MRSigner, &m.Attributes, &m.AttributesMask)
	})
	return err
}

// moduleMember reads the mrsigner, attributes or attributesMask member of
// a TDX module or TDX module identity.
func (d *decoder) moduleMember(path, name string, mrSigner, attributes, mask *HexBytes) error {
	switch name {
	case "mrsigner":
		return d.hex(path, name, mrSigner)
	case "attributes":
		return d.hex(path, name, attributes)
	default:
		return d.hex(path, name, mask)
	}
}

// decode reads one element of tdxModuleIdentities.
func (m *TDXModuleIdentity) decode(d *decoder) error {
	const path = "tdxModuleIdentities"
	_, _, err := d.object("", path, []string{"id", "mrsigner", "attributes", "attributesMask", "tcbLevels"}, func(name string) error {
		switch name {
		case "id":
			return d.str(path, name, &m.ID)
		case "tcbLevels":
			var err error
			m.TCBLevels, err = decodeArray(d, path, name, func(l *ISVTCBLevel) error { return l.decode(d, path+".tcbLevels") })
			return err
		default:
			return d.moduleMember(path, name, &m.MRSigner, &m.Attributes, &m.AttributesMask)
		}
	})
	return err
}

// decode reads one platform TCB level.
func (l *TCBLevel) decode(d *decoder) error {
	const path = "tcbLevels"
	_, _, err := d.object("", path, []string{"tcb", "tcbDate", "tcbStatus", "advisoryIDs"}, func(name string) error {
		if name == "tcb" {
			return l.TCB.decode(d)
		}
		return d.levelMember(path, name, &l.TCBDate, &l.TCBStatus, &l.AdvisoryIDs)
	})
	return err
}

// levelMember reads the tcbDate, tcbStatus or advisoryIDs member of a TCB
// level.
func (d *decoder) levelMember(path, name string, date *time.Time, status *string, advisoryIDs *[]string) error {
	switch name {
	case "tcbDate":
		return d.time(path, name, date)
	case "tcbStatus":
		return d.str(path, name, status)
	default:
		return d.strs(path, name, advisoryIDs)
	}
}

// decode reads the tcb object of a platform TCB level.
func (c *TCBComponents) decode(d *decoder) error {
	const path = "tcbLevels.tcb"
	_, _, err := d.object("tcbLevels", "tcb", []string{"sgxtcbcomponents", "pcesvn", "tdxtcbcomponents"}, func(name string) error {
		var err error
		switch name {
		case "sgxtcbcomponents":
			c.SGXComponents, err = decodeArray(d, path, name, func(e *TCBComponent) error { return e.decode(d, path+".sgxtcbcomponents") })
		case "pcesvn":
			err = d.uint16(path, name, &c.PCESVN)
		default:
			c.TDXComponents, err = decodeArray(d, path, name, func(e *TCBComponent) error { return e.decode(d, path+".tdxtcbcomponents") })
		}
		return err
	})
	return err
}

// decode reads one TCB component in the array at path.
func (e *TCBComponent) decode(d *decoder, path string) error {
	_, _, err := d.object(path, "", []string{"svn", "category", "type"}, func(name string) error {
		switch name {
		case "svn":
			return d.uint8(path, name, &e.SVN)
		case "category":
			return d.str(path, name, &e.Category)
		default:
			return d.str(path, name, &e.Type)
		}
	})
	return err
}

// decode reads one TCB level of a QE identity or a TDX module identity in
// the array at path.
func (l *ISVTCBLevel) decode(d *decoder, path string) error {
	_, _, err := d.object(path, "", []string{"tcb", "tcbDate", "tcbStatus", "advisoryIDs"}, func(name string) error {
		if name == "tcb" {
			_, _, err := d.object(path, name, []string{"isvsvn"}, func(string) error {
				return d.uint16(path, "tcb.isvsvn", &l.TCB.ISVSVN)
			})
			return err
		}
		return d.levelMember(path, name, &l.TCBDate, &l.TCBStatus, &l.AdvisoryIDs)
	})
	return err
}

// decode reads a QE identity in one pass (see decoder).
func (q *QEIdentity) decode(d *decoder, raw []byte) error {
	return d.top(raw, qeIdentityMembers, qeIdentityRequired, qeIdentityNotNull, func(name string) error {
		switch name {
		case "id":
			return d.str("", name, &q.ID)
		case "version":
			return d.int("", name, &q.Version)
		case "issueDate":
			return d.time("", name, &q.IssueDate)
		case "nextUpdate":
			return d.time("", name, &q.NextUpdate)
		case "tcbEvaluationDataNumber":
			return d.int("", name, &q.TCBEvaluationDataNumber)
		case "miscselect":
			return d.hex("", name, &q.MiscSelect)
		case "miscselectMask":
			return d.hex("", name, &q.MiscSelectMask)
		case "attributes":
			return d.hex("", name, &q.Attributes)
		case "attributesMask":
			return d.hex("", name, &q.AttributesMask)
		case "mrsigner":
			return d.hex("", name, &q.MRSigner)
		case "isvprodid":
			return d.uint16("", name, &q.ISVProdID)
		default: // tcbLevels
			var err error
			q.TCBLevels, err = decodeArray(d, "", name, func(l *ISVTCBLevel) error { return l.decode(d, name) })
			return err
		}
	})
}
