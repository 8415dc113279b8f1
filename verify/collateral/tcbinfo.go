package collateral

import (
	"time"
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
