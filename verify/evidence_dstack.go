package verify

import (
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// BindingMode says how the quote's REPORTDATA binds the TLS channel.
type BindingMode string

// Channel binding modes.
const (
	// BindingSPKI: REPORTDATA = nonce || SHA-256(SPKI of the TLS leaf).
	BindingSPKI BindingMode = "spki"
	// BindingRATLS: REPORTDATA = SHA-512("ratls-cert:" || SPKI), dstack's RA-TLS.
	BindingRATLS BindingMode = "ratls"
	// BindingNone: only the nonce is checked; the channel is NOT bound to
	// the TD and a relay cannot be ruled out.
	BindingNone BindingMode = "none"
)

// Dstack is the verified dstack evidence of a report: the replayed event
// log, the identity it records and the app compose that hashes to it.
type Dstack struct {
	// Identity is taken from the replayed RTMR3 events before system-ready.
	Identity eventlog.Identity
	// Events is the full event log, runtime digests recomputed.
	Events []eventlog.Event
	// RTMRReplayed says, per RTMR, whether the replay equals the quote.
	RTMRReplayed [4]bool
	// Compose is the app compose whose SHA-256 equals Identity.ComposeHash;
	// nil when no app compose was supplied.
	Compose *compose.App
	// Binding is the channel binding that was checked, or "" if none was.
	Binding BindingMode
	// MRConfigID says how the quote's MR_CONFIG_ID was read; when it is
	// MRConfigIDComposeHash it binds the compose hash a second time.
	MRConfigID MRConfigIDForm
}

// MRConfigIDForm says how a report's MR_CONFIG_ID was interpreted.
type MRConfigIDForm string

// MR_CONFIG_ID forms.
const (
	// MRConfigIDZero: MR_CONFIG_ID is all zeros and binds nothing.
	MRConfigIDZero MRConfigIDForm = "zero"
	// MRConfigIDComposeHash: MR_CONFIG_ID is dstack's v1 form
	// 0x01 || compose_hash || zeros, and it equals the attested compose hash.
	MRConfigIDComposeHash MRConfigIDForm = "compose-hash"
	// MRConfigIDOther: MR_CONFIG_ID is non-zero in a form this version does
	// not interpret; it is reported, not checked.
	MRConfigIDOther MRConfigIDForm = "other"
)
