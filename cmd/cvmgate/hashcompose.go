package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"

	"github.com/cvmgate/cvmgate/verify/compose"
)

var policyHashComposeCmd = &command{
	name:     "policy hash-compose",
	summary:  "print the compose hash a CVM deployed with an app-compose.json shows",
	synopsis: "FILE [--json]",
	about: `A dstack CVM's compose hash is the SHA-256 of the exact app-compose.json text it was
deployed with. The dstack SDKs (getComposeHash, in JavaScript, Python and Go) deploy the
SDK form of the file: its JSON with every object's keys sorted, written compactly as
JavaScript writes it, no trailing newline. A pretty-printed file on disk hashes
differently. hash-compose prints the hash of the file's exact bytes and, when it
differs, the hash of its SDK form, and says which one a CVM shows.

Other deployers may write yet other texts (the dstack VMM, Phala Cloud's dashboard): the
text a CVM was deployed with is in its /info (tcb_info.app_compose), and that is what
'evidence verify --info' hashes. In a policy, app.compose_files: [FILE] accepts the hash
of the file's exact bytes and [{path: FILE, form: sdk}] the hash of its SDK form; or put
the hash itself in app.compose_hashes. - reads standard input.`,
	args:  []string{"FILE"},
	flags: hashComposeFlags,
	examples: []example{
		{"the compose hash to put in a policy", "cvmgate policy hash-compose app-compose.json"},
	},
	exits: []exitDoc{
		{exitOK, "hashed"},
		{exitUsage, "usage or local input error: a flag, an unreadable file, a file that is not app-compose JSON"},
	},
}

// hashComposeJSON is what "policy hash-compose --json" prints.
type hashComposeJSON struct {
	SchemaVersion int    `json:"schema_version"`
	ExactSHA256   string `json:"exact_sha256"`
	SDKSHA256     string `json:"sdk_sha256"`
	// InSDKForm is true when the file is its own SDK form: both hashes
	// are the same.
	InSDKForm bool `json:"in_sdk_form"`
}

// hashComposeFlags registers the flags of "policy hash-compose".
func hashComposeFlags(fs *flag.FlagSet) runFunc {
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print {\"schema_version\", \"exact_sha256\", \"sdk_sha256\", \"in_sdk_form\"}")
	return func(_ context.Context, e *env, args []string) error {
		data, err := readInput(e, "app compose", args[0])
		if err != nil {
			return err
		}
		canonical, err := compose.Canonical(data)
		if err != nil {
			return usagef("%s: expected an app-compose.json (a JSON object): %w", args[0], err)
		}
		exact, sdk := sha256.Sum256(data), sha256.Sum256(canonical)
		out := hashComposeJSON{schemaVersion, hex.EncodeToString(exact[:]), hex.EncodeToString(sdk[:]), exact == sdk}
		if asJSON {
			return writeJSON(e.stdout, out)
		}
		if out.InSDKForm {
			_, err = fmt.Fprintf(e.stdout, "%s  compose hash (the file is in the SDK form: a CVM deployed with it, through the SDKs or as is, shows this hash)\n", out.ExactSHA256)
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s  SDK form: what a CVM deployed through the dstack SDKs (getComposeHash) shows\n%s  exact bytes: what a CVM shows only if deployed with this very text\n", out.SDKSHA256, out.ExactSHA256)
		return err
	}
}
