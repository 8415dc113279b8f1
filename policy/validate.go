package policy

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// Sizes of the measured values a policy names.
const (
	measurementSize = 48 // MRTD, RTMR, MROWNER, MROWNERCONFIG, MRSERVICETD
	tdFieldSize     = 8  // TDATTRIBUTES, XFAM
	hashSize        = 32 // OS image hash, compose hash, script hash
	appIDSize       = 20
)

// Validate reports every way p is not a usable policy, as *FieldError
// values joined with errors.Join; nil when p is valid. Parse validates;
// Check validates again and refuses every report while p is invalid.
func (p *Policy) Validate() error {
	var v validator
	if p.Version != Version {
		v.add("version", strconv.Itoa(Version), strconv.Itoa(p.Version))
	}
	v.tcb(&p.TCB)
	v.td(&p.TD, p.TCB.AllowDebug)
	for i := range p.Platform {
		v.platform(i, &p.Platform[i])
	}
	v.hexList("os_image_hashes", p.OSImageHashes, hashSize)
	v.app(&p.App)
	switch p.Channel.Binding {
	case verify.BindingSPKI, verify.BindingRATLS, verify.BindingNone:
	default:
		v.add("channel.binding", "spki, ratls or none", quoteShort(string(p.Channel.Binding)))
	}
	if p.Attestation.MaxAge <= 0 {
		v.add("attestation.max_age", "a positive duration", p.Attestation.MaxAge.String())
	}
	return errors.Join(v.errs...)
}

// validator collects field errors. It allocates only when it finds one.
type validator struct{ errs []error }

func (v *validator) add(field, expected, found string) {
	v.errs = append(v.errs, &FieldError{Field: field, Expected: expected, Found: found})
}

func (v *validator) tcb(t *TCB) {
	for i, s := range t.Accept {
		if !slices.Contains(knownStatuses, s) {
			v.add(fmt.Sprintf("tcb.accept[%d]", i), fmt.Sprintf("one of %v", knownStatuses), quoteShort(string(s)))
		}
	}
	if t.OutOfDateGrace < 0 {
		v.add("tcb.out_of_date_grace", "a non-negative duration", t.OutOfDateGrace.String())
	}
	if t.OutOfDateGrace > 0 && slices.Contains(t.accepted(), verify.StatusOutOfDate) {
		v.add("tcb.out_of_date_grace", "no grace while tcb.accept lists OutOfDate, which accepts it without limit", t.OutOfDateGrace.String())
	}
}

func (v *validator) td(t *TD, allowDebug bool) {
	v.hexList("td.attributes", t.Attributes, tdFieldSize)
	for i, a := range t.Attributes {
		if len(a) == tdFieldSize && a[0]&1 != 0 && !allowDebug {
			v.add(fmt.Sprintf("td.attributes[%d]", i), "no DEBUG bit while tcb.allow_debug is false, which refuses it", hex.EncodeToString(a))
		}
	}
	v.hexList("td.xfam", t.XFAM, tdFieldSize)
	v.hexList("td.mrowner", t.MROwner, measurementSize)
	v.hexList("td.mrownerconfig", t.MROwnerConfig, measurementSize)
	v.hexList("td.mrservicetd", t.MRServiceTD, measurementSize)
}

func (v *validator) platform(i int, pl *Platform) {
	if pl.MRTD == nil && pl.RTMR0 == nil && pl.RTMR1 == nil && pl.RTMR2 == nil {
		v.add(fmt.Sprintf("platform[%d]", i), "at least one of mrtd, rtmr0, rtmr1, rtmr2", "none")
	}
	for j, h := range [...]Hex{pl.MRTD, pl.RTMR0, pl.RTMR1, pl.RTMR2} {
		if !validLength(h, measurementSize) {
			v.badLength(fmt.Sprintf("platform[%d].%s", i, platformFields[j]), h, measurementSize)
		}
	}
}

var platformFields = [...]string{"mrtd", "rtmr0", "rtmr1", "rtmr2"}

func (v *validator) app(a *App) {
	v.hexList("app.compose_hashes", a.ComposeHashes, hashSize)
	for i, c := range a.ComposeFiles {
		if c.Path == "" {
			v.add(fmt.Sprintf("app.compose_files[%d]", i), "a file path", `""`)
		}
		if len(c.SHA256) != hashSize {
			v.add(fmt.Sprintf("app.compose_files[%d]", i), "the file's SHA-256, set when the policy is parsed", fmt.Sprintf("%d bytes", len(c.SHA256)))
		}
	}
	v.hexList("app.app_ids", a.AppIDs, appIDSize)
	for i, k := range a.KeyProviders {
		if k.Name == "" {
			v.add(fmt.Sprintf("app.key_providers[%d].name", i), "a provider name such as kms", `""`)
		}
		switch {
		case k.Name == KeyProviderNone && len(k.ID) != 0:
			v.add(fmt.Sprintf("app.key_providers[%d].id", i), `"" for the none provider, which has no id`, hex.EncodeToString(k.ID))
		case k.Name != KeyProviderNone && len(k.ID) == 0:
			v.add(fmt.Sprintf("app.key_providers[%d].id", i), `the provider id in hex (only the none provider has "")`, "none")
		}
	}
	for i, sc := range a.AllowedScripts {
		if !slices.Contains(compose.ScriptKinds(), sc.Kind) {
			v.add(fmt.Sprintf("app.allowed_scripts[%d].kind", i), fmt.Sprintf("one of %v", compose.ScriptKinds()), quoteShort(string(sc.Kind)))
		}
		if len(sc.SHA256) != hashSize {
			v.badLength(fmt.Sprintf("app.allowed_scripts[%d].sha256", i), sc.SHA256, hashSize)
		}
	}
	if len(a.AllowedScripts) > 0 && !a.RequirePinnedImages {
		v.add("app.allowed_scripts", "no scripts unless require_pinned_images is true, the only rule they narrow", fmt.Sprintf("%d scripts", len(a.AllowedScripts)))
	}
	checks := a.checksCompose() || a.AppIDs != nil
	switch {
	case !checks && !a.Any:
		v.add("app", "compose_hashes, compose_files or app_ids, or any: true to accept any app", "none of them")
	case checks && a.Any:
		v.add("app.any", "false when compose_hashes, compose_files or app_ids are given", "true")
	}
}

func (v *validator) hexList(field string, list List[Hex], size int) {
	for i, h := range list {
		if len(h) != size { // entries of a list are never absent
			v.badLength(fmt.Sprintf("%s[%d]", field, i), h, size)
		}
	}
}

// validLength reports whether h is absent (nil) or exactly size bytes.
// Field names are formatted only on failure, so validating a valid policy
// allocates nothing.
func validLength(h Hex, size int) bool { return h == nil || len(h) == size }

func (v *validator) badLength(field string, h Hex, size int) {
	v.add(field, fmt.Sprintf("%d bytes (%d hex digits)", size, 2*size), fmt.Sprintf("%d bytes", len(h)))
}
