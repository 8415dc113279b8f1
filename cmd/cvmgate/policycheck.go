package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
)

var policyCheckCmd = &command{
	name:     "policy check",
	summary:  "validate a policy file and say what it accepts",
	synopsis: "FILE [--json]",
	about: `Loads the policy as 'evidence verify --policy' does (its compose_files are hashed
relative to it), validates it, and says what it accepts, section by section. An absent
list is not checked; an empty list accepts nothing. - reads the policy from standard
input (compose_files then relative to the working directory).`,
	args:  []string{"FILE"},
	flags: policyCheckFlags,
	examples: []example{
		{"check a policy before deploying it", "cvmgate policy check policy.yaml"},
		{"the policy as JSON, its compose files hashed", "cvmgate policy check policy.yaml --json"},
	},
	exits: []exitDoc{
		{exitOK, "the policy is valid"},
		{exitRefused, "the policy was examined and is invalid (the message names the field)"},
		{exitUsage, "usage or local input error: a flag, an unreadable file"},
	},
}

// policyCheckFlags registers the flags of "policy check".
func policyCheckFlags(fs *flag.FlagSet) runFunc {
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print {\"schema_version\", \"valid\", \"policy\"} with the policy in JSON")
	return func(_ context.Context, e *env, args []string) error {
		path := args[0]
		p, err := loadPolicy(e, "policy", path)
		if err != nil {
			if isInvalidPolicy(err) {
				return exitError{exitRefused, err}
			}
			return err
		}
		if asJSON {
			return writeJSON(e.stdout, struct {
				SchemaVersion int            `json:"schema_version"`
				Valid         bool           `json:"valid"`
				Policy        *policy.Policy `json:"policy"`
			}{schemaVersion, true, p})
		}
		return describePolicy(e.stdout, path, p)
	}
}

// isInvalidPolicy reports whether err says a policy does not load
// because of its content, rather than its file.
func isInvalidPolicy(err error) bool { return errors.Is(err, policy.ErrInvalid) }

// describePolicy says what p accepts, section by section, one value a
// line so that long hashes stay whole.
func describePolicy(w io.Writer, path string, p *policy.Policy) error {
	fmt.Fprintf(w, "%s: valid policy (version %d)\n", path, p.Version)
	tcb := "TCB status " + strings.Join(strings.Split(joinStatuses(p.AcceptedStatuses()), ","), ", ")
	if g := p.TCB.OutOfDateGrace; g > 0 {
		tcb += fmt.Sprintf(" (OutOfDate only within %s of falling out of date)", g)
	}
	debug := "debug TDs refused"
	if p.TCB.AllowDebug {
		debug = "debug TDs ALLOWED (never in production)"
	}
	section(w, "tcb", tcb, debug)
	section(w, "platform", describePlatforms(p.Platform)...)
	section(w, "os image", allowlist(hexStrings(p.OSImageHashes), p.OSImageHashes == nil)...)
	compose := append(hexStrings(p.App.ComposeHashes), composeFileStrings(p.App.ComposeFiles)...)
	section(w, "compose hash", allowlist(compose, p.App.ComposeHashes == nil && p.App.ComposeFiles == nil)...)
	section(w, "app id", allowlist(hexStrings(p.App.AppIDs), p.App.AppIDs == nil)...)
	var kps []string
	for _, k := range p.App.KeyProviders {
		kps = append(kps, k.Name+" "+orNone(k.ID.String()))
	}
	section(w, "key provider", allowlist(kps, p.App.KeyProviders == nil)...)
	if p.App.RequirePinnedImages {
		section(w, "images", "every compose service pinned by digest")
	}
	if p.App.Any {
		section(w, "app", "ANY app (app.any: true): neither compose nor app id is checked")
	}
	section(w, "channel", describeBinding(p.Channel.Binding))
	section(w, "max age", fmt.Sprintf("attest again after %s", p.Attestation.MaxAge))
	return nil
}

// section prints a label and its lines, aligned.
func section(w io.Writer, label string, lines ...string) {
	for i, l := range lines {
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "  %-13s %s\n", label, l)
	}
}

// allowlist describes an allowlist: not checked, empty, or its entries,
// one a line.
func allowlist(entries []string, absent bool) []string {
	switch {
	case absent:
		return []string{"not checked"}
	case len(entries) == 0:
		return []string{"nothing: the list is empty, every CVM is refused"}
	case len(entries) == 1:
		return entries
	}
	out := []string{"one of:"}
	for _, e := range entries {
		out = append(out, "  "+e)
	}
	return out
}

func hexStrings(list policy.List[policy.Hex]) []string {
	var out []string
	for _, h := range list {
		out = append(out, h.String())
	}
	return out
}

func composeFileStrings(list policy.List[policy.ComposeFile]) []string {
	var out []string
	for _, f := range list {
		form := ""
		if f.Form == policy.ComposeSDK {
			form = ", its SDK form"
		}
		out = append(out, f.SHA256.String()+" ("+f.Path+form+")")
	}
	return out
}

// describePlatforms describes the platform allowlist, a field a line.
func describePlatforms(list policy.List[policy.Platform]) []string {
	if list == nil {
		return []string{"not checked"}
	}
	if len(list) == 0 {
		return allowlist(nil, false)
	}
	out := []string{"one of:"}
	for _, pl := range list {
		mark := "- "
		for _, f := range []struct {
			name string
			v    policy.Hex
		}{{"mrtd", pl.MRTD}, {"rtmr0", pl.RTMR0}, {"rtmr1", pl.RTMR1}, {"rtmr2", pl.RTMR2}} {
			if f.v != nil {
				out = append(out, fmt.Sprintf("  %s%-5s %s", mark, f.name, f.v))
				mark = "  "
			}
		}
	}
	return out
}

// describeBinding says what a channel binding requires.
func describeBinding(b verify.BindingMode) string {
	switch b {
	case verify.BindingSPKI:
		return "spki: REPORTDATA = nonce || SHA-256(SPKI of the TLS key the evidence came over)"
	case verify.BindingRATLS:
		return "ratls: dstack RA-TLS, REPORTDATA = SHA-512(\"ratls-cert:\" || SPKI)"
	case verify.BindingNone:
		return "none: only the nonce is checked; the channel is NOT bound to the TD"
	}
	return string(b)
}
