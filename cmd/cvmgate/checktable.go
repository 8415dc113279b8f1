package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cvmgate/cvmgate/verify"
)

// checkDoc says, for the check table of verify and the demo, what a check
// proves and which attack it stops.
type checkDoc struct {
	label, proves, stops string
}

// checkDocs documents every check of verify.CheckNames.
var checkDocs = map[verify.CheckName]checkDoc{
	verify.CheckQuoteFormat:    {"quote format", "a TDX quote from Intel's quoting enclave, well formed", "crafted or truncated quotes"},
	verify.CheckPCKChain:       {"hardware signature", "the platform's key chains to Intel's root", "a fake TEE (keys not from Intel)"},
	verify.CheckQEReport:       {"quoting enclave", "Intel's quoting enclave vouches for the quote's key", "a substituted attestation key"},
	verify.CheckQuoteSignature: {"quote signature", "the quote is signed, unaltered, by that key", "forged or altered measurements"},
	verify.CheckChannelBinding: {"nonce and key binding", "the quote is fresh (our nonce) and for this TLS key", "replay; relay (man in the middle)"},
	verify.CheckEventLog:       {"event log", "the event log replays to RTMR0-3", "a forged event log"},
	verify.CheckIdentity:       {"app identity", "app id, compose, OS image, KMS logged once at boot", "identity events added after boot"},
	verify.CheckMRConfigID:     {"launch config", "MR_CONFIG_ID, if set, binds the same compose", "a TD launched for another compose"},
	verify.CheckCompose:        {"compose hash", "the app-compose.json shown is the one measured", "code substitution behind a shown compose"},
	verify.CheckCollateral:     {"collateral", "Intel-signed, current TCB info, QE identity, CRLs", "stale or forged collateral"},
	verify.CheckRevocation:     {"revocation", "no certificate of the platform is revoked", "a platform whose keys leaked"},
	verify.CheckQEIdentity:     {"QE identity", "the quoting enclave is Intel's, at a known level", "a fake or outdated quoting enclave"},
	verify.CheckTDXModule:      {"TDX module", "the TDX module is signed by Intel", "a modified TDX module"},
	verify.CheckTCBLevels:      {"TCB", "the platform's patch level (microcode, module)", "an unpatched platform (the policy judges)"},
	verify.CheckPolicy:         {"policy", "the app, OS, KMS, TCB and TD are what you allow", "code substitution; debug TDs; old TCBs"},
}

// writeCheckTable prints one row per check: its outcome, what it proves
// and the attack it stops; for a check that did not pass, why.
func writeCheckTable(w io.Writer, checks []verify.CheckResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RESULT\tCHECK\tPROVES\tSTOPS")
	for _, c := range checks {
		doc, ok := checkDocs[c.Name]
		if !ok {
			doc = checkDoc{label: string(c.Name)}
		}
		switch c.Outcome {
		case verify.Passed:
			fmt.Fprintf(tw, "  ok\t%s\t%s\t%s\n", doc.label, doc.proves, doc.stops)
		case verify.Failed:
			fmt.Fprintf(tw, "  FAIL\t%s\t%s\t%s\n", doc.label, doc.proves, doc.stops)
		default:
			fmt.Fprintf(tw, "  skip\t%s\tnot checked: %s\t\n", doc.label, strings.TrimPrefix(orNone(c.Detail), "not reached: "))
		}
	}
	return tw.Flush()
}
