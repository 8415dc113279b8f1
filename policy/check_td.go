package policy

import (
	"encoding/hex"
	"errors"

	"github.com/cvmgate/cvmgate/verify"
)

// checkTD judges the TD's own configuration: DEBUG by tcb.allow_debug,
// then the td section, whose absent attributes and mrservicetd apply
// verify's default rules (CheckTDAttributes for every bit but DEBUG,
// CheckServiceTD).
func (p *Policy) checkTD(r *verify.Report, vs []error) []error {
	if r.QuoteVersion == 0 {
		return append(vs, &Violation{Rule: "td", Expected: "a report with its quote", Found: "no quote in the report"})
	}
	b := &r.Body
	t := &p.TD
	if b.Debug() && !p.TCB.AllowDebug {
		vs = append(vs, &Violation{Rule: "tcb.allow_debug", Expected: "a TD without the DEBUG attribute",
			Found: "DEBUG set (TDATTRIBUTES " + hex.EncodeToString(b.TDAttributes[:]) + ")"})
	}
	if t.Attributes == nil {
		// DEBUG was judged above; the default rule judges the other bits.
		if err := verify.CheckTDAttributes(b.TDAttributes, true); err != nil {
			vs = append(vs, defaultRuleViolation("td.attributes", err))
		}
	} else {
		vs = checkListed(vs, "td.attributes", t.Attributes, b.TDAttributes[:])
	}
	vs = checkListed(vs, "td.xfam", t.XFAM, b.XFAM[:])
	vs = checkListed(vs, "td.mrowner", t.MROwner, b.MROwner[:])
	vs = checkListed(vs, "td.mrownerconfig", t.MROwnerConfig, b.MROwnerConfig[:])
	if t.MRServiceTD == nil {
		if err := verify.CheckServiceTD(b); err != nil {
			vs = append(vs, defaultRuleViolation("td.mrservicetd", err))
		}
	} else {
		vs = checkListed(vs, "td.mrservicetd", t.MRServiceTD, b.MRServiceTD[:])
	}
	return vs
}

// checkListed requires got to be in list, unless list is absent.
func checkListed(vs []error, rule string, list List[Hex], got []byte) []error {
	if list == nil || containsHex(list, got) {
		return vs
	}
	return append(vs, &Violation{Rule: rule, Expected: oneOf(list), Found: hex.EncodeToString(got)})
}

// defaultRuleViolation turns a refusal by one of verify's default TD rules
// into a violation of the policy field that, absent, applies it.
func defaultRuleViolation(rule string, err error) *Violation {
	var e *verify.Error
	if !errors.As(err, &e) {
		return &Violation{Rule: rule, Expected: "the default rule", Found: err.Error()}
	}
	return &Violation{Rule: rule, Expected: e.Expected + " (the default when " + rule + " is absent)", Found: e.Found}
}
