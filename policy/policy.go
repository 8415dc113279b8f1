package policy

import (
	"time"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// Version is the only policy file version this package reads.
const Version = 1

// DefaultMaxAge is attestation.max_age when the file does not set it.
const DefaultMaxAge = Duration(time.Hour)

// Policy is what a caller accepts of a verified CVM. Build one with Parse,
// Load or FromReport; a Policy assembled in Go must pass Validate, and
// Check refuses every report while it does not. Lists follow the List
// rule: nil is not checked, empty accepts nothing.
type Policy struct {
	// Version is the file format version; it must be 1.
	Version int `yaml:"version" json:"version"`
	// TCB says which TCB statuses and TD attributes are accepted.
	TCB TCB `yaml:"tcb" json:"tcb"`
	// TD says which configurations of the TD itself are accepted.
	TD TD `yaml:"td,omitempty" json:"td,omitzero"`
	// Platform lists accepted boot measurements; one entry must match.
	Platform List[Platform] `yaml:"platform,omitempty" json:"platform,omitzero"`
	// OSImageHashes lists accepted dstack OS image hashes (32 bytes each),
	// from the os-image-hash event.
	OSImageHashes List[Hex] `yaml:"os_image_hashes,omitempty" json:"os_image_hashes,omitzero"`
	// App says which application may run.
	App App `yaml:"app" json:"app"`
	// Channel says how the TLS channel must be bound to the TD.
	Channel Channel `yaml:"channel" json:"channel"`
	// Attestation says how long a verification stays valid.
	Attestation Attestation `yaml:"attestation" json:"attestation"`
}

// TCB is the tcb section: accepted TCB statuses and TD attributes.
type TCB struct {
	// Accept lists the converged TCB statuses accepted without condition.
	// Nil means [UpToDate]; StatusUnknown is accepted only when listed.
	Accept List[verify.TCBStatus] `yaml:"accept,omitempty" json:"accept,omitzero"`
	// OutOfDateGrace accepts OutOfDate and OutOfDateConfigurationNeeded
	// for this long after each out-of-date part (platform, TDX module, QE)
	// fell out of date, when the status without them is accepted (see the
	// package documentation). Zero gives no grace.
	OutOfDateGrace Duration `yaml:"out_of_date_grace,omitempty" json:"out_of_date_grace,omitzero"`
	// AllowDebug accepts TDs with the DEBUG attribute. Never in production.
	AllowDebug bool `yaml:"allow_debug" json:"allow_debug"`
}

// TD is the td section: the TD's own configuration, from its TD report.
// Values are hex of the report's bytes as the quote carries them, so
// TDATTRIBUTES and XFAM are little-endian: SEPT_VE_DISABLE (bit 28) alone
// is "0000001000000000". (Intel's appraisal policies write them as
// big-endian numbers, "0000000010000000".) Lists follow the List rule,
// except where a nil list applies a default rule.
type TD struct {
	// Attributes lists the accepted TDATTRIBUTES values (8 bytes each).
	// Nil applies the default rule, verify.CheckTDAttributes. DEBUG is
	// judged by tcb.allow_debug as well, so an entry with DEBUG set needs
	// allow_debug: true.
	Attributes List[Hex] `yaml:"attributes,omitempty" json:"attributes,omitzero"`
	// XFAM lists accepted XFAM values (8 bytes each): the extended CPU
	// state the TD may use.
	XFAM List[Hex] `yaml:"xfam,omitempty" json:"xfam,omitzero"`
	// MROwner lists accepted MROWNER values (48 bytes each), an id of the
	// TD's owner that the host sets when it creates the TD.
	MROwner List[Hex] `yaml:"mrowner,omitempty" json:"mrowner,omitzero"`
	// MROwnerConfig lists accepted MROWNERCONFIG values (48 bytes each),
	// owner-defined configuration the host sets when it creates the TD.
	MROwnerConfig List[Hex] `yaml:"mrownerconfig,omitempty" json:"mrownerconfig,omitzero"`
	// MRServiceTD lists accepted MRSERVICETD values (48 bytes each), the
	// measurement of the service TDs bound to a TD 1.5 (zero when none is,
	// and in a TD 1.0 report). Nil applies the default rule,
	// verify.CheckServiceTD: it must be zero.
	MRServiceTD List[Hex] `yaml:"mrservicetd,omitempty" json:"mrservicetd,omitzero"`
}

// Platform is one accepted set of boot measurements. Every field given
// must match; nil fields are not checked; at least one must be given.
type Platform struct {
	// MRTD is the initial TD memory measurement (48 bytes).
	MRTD Hex `yaml:"mrtd,omitempty" json:"mrtd,omitempty"`
	// RTMR0 measures the virtual firmware's configuration (48 bytes).
	RTMR0 Hex `yaml:"rtmr0,omitempty" json:"rtmr0,omitempty"`
	// RTMR1 measures the kernel (48 bytes).
	RTMR1 Hex `yaml:"rtmr1,omitempty" json:"rtmr1,omitempty"`
	// RTMR2 measures the kernel command line and initrd (48 bytes).
	RTMR2 Hex `yaml:"rtmr2,omitempty" json:"rtmr2,omitempty"`
}

// App is the app section: which dstack application may run.
type App struct {
	// ComposeHashes lists accepted compose hashes (32 bytes each).
	ComposeHashes List[Hex] `yaml:"compose_hashes,omitempty" json:"compose_hashes,omitzero"`
	// ComposeFiles lists app-compose.json files whose hashes are accepted
	// too; the two lists are one allowlist.
	ComposeFiles List[ComposeFile] `yaml:"compose_files,omitempty" json:"compose_files,omitzero"`
	// AppIDs lists accepted dstack app ids (20 bytes each).
	AppIDs List[Hex] `yaml:"app_ids,omitempty" json:"app_ids,omitzero"`
	// KeyProviders lists accepted key providers (the key-provider event).
	KeyProviders List[KeyProvider] `yaml:"key_providers,omitempty" json:"key_providers,omitzero"`
	// RequirePinnedImages refuses an app compose whose code is not shown
	// pinned: a compose service whose image is not pinned by digest or is
	// built, a runner other than docker-compose (bash is accepted when its
	// bash_script is), a script dstack runs as root that AllowedScripts
	// does not list, a docker-compose construct that brings in content the
	// compose hash does not cover, or an allowed_envs name that lets the
	// deployer's environment change the code dstack runs. It needs the app
	// compose in the evidence, with at least one docker-compose service
	// under the docker-compose runner: a compose that runs none shows
	// nothing pinned.
	RequirePinnedImages bool `yaml:"require_pinned_images" json:"require_pinned_images"`
	// AllowedScripts lists the scripts RequirePinnedImages accepts, each by
	// its kind and the SHA-256 of its exact text. It is not an allowlist
	// of its own: it only narrows RequirePinnedImages, so absent and empty
	// both accept no script, and it must be empty unless
	// RequirePinnedImages is set.
	AllowedScripts []AllowedScript `yaml:"allowed_scripts,omitempty" json:"allowed_scripts,omitempty"`
	// Any must be true for a policy that checks neither compose nor app
	// id, and false otherwise.
	Any bool `yaml:"any" json:"any"`
}

// checksCompose reports whether the compose hash is checked.
func (a *App) checksCompose() bool { return a.ComposeHashes != nil || a.ComposeFiles != nil }

// AllowedScript is a script that app.require_pinned_images accepts.
type AllowedScript struct {
	// Kind is where the script is: init_script, pre_launch_script or
	// bash_script.
	Kind compose.ScriptKind `yaml:"kind" json:"kind"`
	// SHA256 is the SHA-256 of the script's exact text (32 bytes).
	SHA256 Hex `yaml:"sha256" json:"sha256"`
}

// KeyProvider is an accepted key provider.
type KeyProvider struct {
	// Name is the provider kind, such as "kms", "local-sgx" or "none".
	Name string `yaml:"name" json:"name"`
	// ID is the provider id; for a KMS, its root key's SPKI. It is empty
	// for KeyProviderNone and only for it.
	ID Hex `yaml:"id" json:"id"`
}

// KeyProviderNone is the key provider dstack logs, as {"name":"none",
// "id":""}, for a CVM that has none: it makes random keys on every boot,
// persists and shares none, and no KMS authorizes it.
const KeyProviderNone = "none"

// Channel is the channel section.
type Channel struct {
	// Binding is the channel binding the report must have been verified
	// with. Parse defaults it to verify.BindingSPKI.
	Binding verify.BindingMode `yaml:"binding" json:"binding"`
}

// Attestation is the attestation section.
type Attestation struct {
	// MaxAge is how long the transport may rely on a verification before
	// attesting again. It must be positive; Parse defaults it to 1h.
	MaxAge Duration `yaml:"max_age" json:"max_age"`
}

// accepted returns the statuses accepted without condition.
func (t *TCB) accepted() []verify.TCBStatus {
	if t.Accept == nil {
		return defaultAccept
	}
	return t.Accept
}

var defaultAccept = []verify.TCBStatus{verify.StatusUpToDate}

// knownStatuses lists every status name a policy may accept, in the order
// AcceptedStatuses returns them.
var knownStatuses = verify.Statuses()
