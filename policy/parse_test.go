package policy

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// minimal is the smallest valid policy: it checks the app id only.
var minimal = "version: 1\napp:\n  app_ids: [" + hexOf(0x44, 20) + "]\n"

func TestParseDefaults(t *testing.T) {
	p := mustParse(t, minimal)
	assert.Equal(t, List[verify.TCBStatus]{verify.StatusUpToDate}, p.TCB.Accept)
	assert.Equal(t, verify.BindingSPKI, p.Channel.Binding)
	assert.Equal(t, DefaultMaxAge, p.Attestation.MaxAge)
	assert.Equal(t, Duration(0), p.TCB.OutOfDateGrace)
	assert.False(t, p.TCB.AllowDebug)
	assert.Nil(t, p.Platform, "an absent list stays absent")
	assert.Nil(t, p.OSImageHashes)
	assert.Nil(t, p.App.ComposeHashes)
	assert.Equal(t, List[Hex]{fill(0x44, 20)}, p.App.AppIDs)
}

func TestParseFullPolicy(t *testing.T) {
	p := mustParse(t, testPolicyYAML)
	require.Len(t, p.Platform, 1)
	assert.Equal(t, Hex(fill(0x11, 48)), p.Platform[0].MRTD)
	assert.Equal(t, Hex(fill(0x22, 48)), p.Platform[0].RTMR2)
	assert.Equal(t, List[Hex]{fill(0x33, 32)}, p.OSImageHashes)
	assert.Equal(t, List[Hex]{composeHash()}, p.App.ComposeHashes)
	assert.Equal(t, List[KeyProvider]{{Name: "kms", ID: fill(0x55, 5)}}, p.App.KeyProviders)
	assert.True(t, p.App.RequirePinnedImages)
	assert.Equal(t, Duration(time.Hour), p.Attestation.MaxAge)
}

func TestParseJSON(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"compact", `{"version":1,"tcb":{"accept":["UpToDate","SWHardeningNeeded"],"out_of_date_grace":"30d"},"app":{"app_ids":["` + hexOf(0x44, 20) + `"]},"channel":{"binding":"ratls"}}`},
		{"tab indented", "{\n\t\"version\": 1,\n\t\"tcb\": {\n\t\t\"accept\": [\"UpToDate\", \"SWHardeningNeeded\"],\n\t\t\"out_of_date_grace\": \"720h\"\n\t},\n\t\"app\": {\"app_ids\": [\"" + hexOf(0x44, 20) + "\"]},\n\t\"channel\": {\"binding\": \"ratls\"}\n}\n"},
		{"escaped", `{"version":1,"tcb":{"accept":["UpToDate","SWHardening\u004eeeded"],"out_of_date_grace":"720h"},"app":{"app_ids":["` + hexOf(0x44, 20) + `"]},"channel":{"binding":"r\u0061tls"}}`},
		{"byte order mark", "\xef\xbb\xbf" + `{"version":1,"tcb":{"accept":["UpToDate","SWHardeningNeeded"],"out_of_date_grace":"30d"},"app":{"app_ids":["` + hexOf(0x44, 20) + `"]},"channel":{"binding":"ratls"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc)
			assert.Equal(t, List[verify.TCBStatus]{verify.StatusUpToDate, verify.StatusSWHardeningNeeded}, p.TCB.Accept)
			assert.Equal(t, Duration(720*time.Hour), p.TCB.OutOfDateGrace)
			assert.Equal(t, verify.BindingRATLS, p.Channel.Binding)
			assert.Equal(t, List[Hex]{fill(0x44, 20)}, p.App.AppIDs)
		})
	}
}

func TestParseHexForms(t *testing.T) {
	upper := strings.ToUpper(hexOf(0xab, 20))
	for _, v := range []string{hexOf(0xab, 20), upper, "0x" + hexOf(0xab, 20), "0X" + upper, `"` + hexOf(0xab, 20) + `"`} {
		t.Run(v, func(t *testing.T) {
			p := mustParse(t, "version: 1\napp: {app_ids: ["+v+"]}\n")
			assert.Equal(t, List[Hex]{fill(0xab, 20)}, p.App.AppIDs)
		})
	}
	// Hex of digits only would be a YAML integer; it must still be read as hex.
	p := mustParse(t, "version: 1\napp: {app_ids: ["+hexOf(0x12, 20)+"]}\n")
	assert.Equal(t, List[Hex]{fill(0x12, 20)}, p.App.AppIDs)
}

// TestParseRejects covers every load-time rule. Each case names text the
// error must contain, so that the error points at the right field.
func TestParseRejects(t *testing.T) {
	app := "app: {app_ids: [" + hexOf(0x44, 20) + "]}\n"
	h48, h32, h20 := hexOf(1, 48), hexOf(2, 32), hexOf(3, 20)
	tests := []struct{ name, doc, want string }{
		// Unknown keys, at every level.
		{"unknown top-level key", "version: 1\n" + app + "tbc: {}\n", "field tbc not found"},
		{"unknown tcb key", "version: 1\n" + app + "tcb: {acept: [UpToDate]}\n", "field acept not found"},
		{"unknown platform key", "version: 1\n" + app + "platform: [{mrtd: " + h48 + ", rtrm0: " + h48 + "}]\n", "field rtrm0 not found"},
		{"unknown app key", "version: 1\napp: {app_ids: [" + h20 + "], compose_hash: [" + h32 + "]}\n", "field compose_hash not found"},
		{"unknown key provider key", "version: 1\napp: {app_ids: [" + h20 + "], key_providers: [{name: kms, id: ab, ids: cd}]}\n", "field ids not found"},
		{"unknown channel key", "version: 1\n" + app + "channel: {bindng: none}\n", "field bindng not found"},
		{"unknown attestation key", "version: 1\n" + app + "attestation: {maxage: 1h}\n", "field maxage not found"},
		{"unknown JSON key", `{"version":1,"app":{"app_ids":["` + h20 + `"]},"allow_debug":true}`, "field allow_debug not found"},
		{"wrong key case", "Version: 1\n" + app, "field Version not found"},

		// Document structure.
		{"duplicate top-level key", "version: 1\n" + app + "version: 1\n", `mapping key "version" already defined`},
		{"duplicate nested key", "version: 1\napp: {app_ids: [" + h20 + "], app_ids: []}\n", `mapping key "app_ids" already defined`},
		{"duplicate JSON key", `{"version":1,"app":{"app_ids":["` + h20 + `"]},"app":{"any":true}}`, `mapping key "app" already defined`},
		{"two documents", "version: 1\n" + app + "---\nversion: 1\n" + app, "a single YAML document"},
		{"trailing empty document", "version: 1\n" + app + "---\n", "a single YAML document"},
		{"empty file", "", "an empty file"},
		{"only a comment", "# nothing\n", "an empty file"},
		{"root is a list", "- version: 1\n", "a mapping at the top level"},
		{"root is a scalar", "hello\n", "a mapping at the top level"},
		{"null list", "version: 1\n" + app + "os_image_hashes:\n", "os_image_hashes: expected a value"},
		{"null tilde", "version: 1\n" + app + "tcb: ~\n", "tcb: expected a value"},
		{"null in list", "version: 1\napp: {app_ids: [" + h20 + ", null]}\n", "app.app_ids[1]: expected a value"},
		{"JSON null", `{"version":1,"app":{"app_ids":["` + h20 + `"]},"platform":null}`, "platform: expected a value"},
		{"anchor", "version: 1\napp: &a {app_ids: [" + h20 + "]}\n", "no anchors or aliases"},
		{"alias", "version: 1\napp: {app_ids: [&x " + h20 + ", *x]}\n", "no anchors or aliases"},
		{"merge key", "version: 1\napp:\n  <<: {any: true}\n", "no merge keys"},
		{"explicit tag", "version: !!int 1\n" + app, "no explicit tags"},
		{"complex key", "version: 1\n" + app + "? [a]\n: b\n", "plain keys"},
		{"too deep", "version: 1\n" + app + "tcb: {accept: [[[[[[[[[[x]]]]]]]]]]}\n", "levels of nesting"},
		{"too many keys", "version: 1\n" + app + "tcb: {" + strings.Repeat("a: 1, ", 40) + "}\n", "at most 32 keys"},
		{"invalid JSON", `{"version":1,}`, "valid JSON"},
		{"YAML flow mapping at the root", `{version: 1, app: {any: true}}`, "valid JSON"},
		{"syntax error", "version: 1\n  app: [\n", "yaml:"},
		{"too large", "version: 1\n" + app + "#" + strings.Repeat("x", MaxSize), "at most 262144 bytes"},

		// Version.
		{"version absent", app, "version: expected 1, found 0"},
		{"version 2", "version: 2\n" + app, "version: expected 1, found 2"},
		{"version string", "version: \"1\"\n" + app, "cannot unmarshal"},

		// TCB.
		{"unknown status", "version: 1\n" + app + "tcb: {accept: [UpToDate, UptoDate]}\n", `tcb.accept[1]: expected one of`},
		{"lower-case status", "version: 1\n" + app + "tcb: {accept: [uptodate]}\n", `found "uptodate"`},
		{"Unknown capitalised", "version: 1\n" + app + "tcb: {accept: [Unknown]}\n", `found "Unknown"`},
		{"grace with OutOfDate listed", "version: 1\n" + app + "tcb: {accept: [UpToDate, OutOfDate], out_of_date_grace: 30d}\n", "tcb.out_of_date_grace: expected no grace"},
		{"negative grace", "version: 1\n" + app + "tcb: {out_of_date_grace: -1h}\n", "non-negative"},
		{"grace without unit", "version: 1\n" + app + "tcb: {out_of_date_grace: 30}\n", `found "30"`},
		{"grace as list", "version: 1\n" + app + "tcb: {out_of_date_grace: [1h]}\n", "expected a duration, found a list"},
		{"allow_debug not bool", "version: 1\n" + app + "tcb: {allow_debug: maybe}\n", "cannot unmarshal"},
		{"accept not a list", "version: 1\n" + app + "tcb: {accept: UpToDate}\n", "cannot unmarshal"},

		// Hex values and lengths.
		{"bad hex", "version: 1\napp: {app_ids: [" + hexOf(3, 19) + "zz]}\n", "line 2: expected hex"},
		{"odd hex", "version: 1\napp: {app_ids: [" + h20 + "0]}\n", "expected hex"},
		{"hex as mapping", "version: 1\napp: {app_ids: [{a: b}]}\n", "expected a hex string, found a mapping"},
		{"app id 19 bytes", "version: 1\napp: {app_ids: [" + hexOf(3, 19) + "]}\n", "app.app_ids[0]: expected 20 bytes (40 hex digits), found 19 bytes"},
		{"app id 21 bytes", "version: 1\napp: {app_ids: [" + h20 + ", " + hexOf(3, 21) + "]}\n", "app.app_ids[1]: expected 20 bytes"},
		{"empty app id", "version: 1\napp: {app_ids: [\"\"]}\n", "app.app_ids[0]: expected 20 bytes"},
		{"compose hash 33 bytes", "version: 1\napp: {compose_hashes: [" + hexOf(2, 33) + "]}\n", "app.compose_hashes[0]: expected 32 bytes"},
		{"os image 31 bytes", "version: 1\n" + app + "os_image_hashes: [" + hexOf(2, 31) + "]\n", "os_image_hashes[0]: expected 32 bytes"},
		{"mrtd 47 bytes", "version: 1\n" + app + "platform: [{mrtd: " + hexOf(1, 47) + "}]\n", "platform[0].mrtd: expected 48 bytes"},
		{"rtmr0 49 bytes", "version: 1\n" + app + "platform: [{rtmr0: " + hexOf(1, 49) + "}]\n", "platform[0].rtmr0: expected 48 bytes"},
		{"rtmr1 32 bytes", "version: 1\n" + app + "platform: [{rtmr1: " + h32 + "}]\n", "platform[0].rtmr1: expected 48 bytes"},
		{"rtmr2 empty", "version: 1\n" + app + "platform: [{mrtd: " + h48 + "}, {rtmr2: \"\"}]\n", "platform[1].rtmr2: expected 48 bytes"},
		{"empty platform entry", "version: 1\n" + app + "platform: [{}]\n", "platform[0]: expected at least one of"},
		{"key provider without name", "version: 1\napp: {app_ids: [" + h20 + "], key_providers: [{id: ab}]}\n", "app.key_providers[0].name"},
		{"key provider without id", "version: 1\napp: {app_ids: [" + h20 + "], key_providers: [{name: kms}]}\n", "app.key_providers[0].id"},
		{"key provider with an empty id", "version: 1\napp: {app_ids: [" + h20 + "], key_providers: [{name: kms, id: \"\"}]}\n", `app.key_providers[0].id: expected the provider id in hex (only the none provider has "")`},
		{"none key provider with an id", "version: 1\napp: {app_ids: [" + h20 + "], key_providers: [{name: none, id: ab}]}\n", `app.key_providers[0].id: expected "" for the none provider`},

		// TD.
		{"td attributes 7 bytes", "version: 1\n" + app + "td: {attributes: [" + hexOf(0, 7) + "]}\n", "td.attributes[0]: expected 8 bytes (16 hex digits), found 7 bytes"},
		{"td attributes with DEBUG, debug refused", "version: 1\n" + app + "td: {attributes: [\"0000001000000000\", \"0100001000000000\"]}\n",
			"td.attributes[1]: expected no DEBUG bit while tcb.allow_debug is false"},
		{"td xfam 9 bytes", "version: 1\n" + app + "td: {xfam: [" + hexOf(1, 9) + "]}\n", "td.xfam[0]: expected 8 bytes"},
		{"td mrowner 32 bytes", "version: 1\n" + app + "td: {mrowner: [" + h32 + "]}\n", "td.mrowner[0]: expected 48 bytes"},
		{"td mrownerconfig empty", "version: 1\n" + app + "td: {mrownerconfig: [\"\"]}\n", "td.mrownerconfig[0]: expected 48 bytes"},
		{"td mrservicetd 47 bytes", "version: 1\n" + app + "td: {mrservicetd: [" + hexOf(1, 47) + "]}\n", "td.mrservicetd[0]: expected 48 bytes"},
		{"td unknown key", "version: 1\n" + app + "td: {mr_owner: [" + h48 + "]}\n", "field mr_owner not found"},
		{"td null", "version: 1\n" + app + "td: ~\n", "td: expected a value"},

		// The app must be checked, or any app accepted explicitly.
		{"no app section", "version: 1\n", "app: expected compose_hashes, compose_files or app_ids"},
		{"app without checks", "version: 1\napp: {require_pinned_images: true}\n", "app: expected compose_hashes"},
		{"any false", "version: 1\napp: {any: false}\n", "app: expected compose_hashes"},
		{"any with app ids", "version: 1\napp: {any: true, app_ids: [" + h20 + "]}\n", "app.any: expected false"},
		{"any with compose", "version: 1\napp: {any: true, compose_hashes: []}\n", "app.any: expected false"},

		// Scripts accepted by require_pinned_images.
		{"script of an unknown kind", "version: 1\napp: {app_ids: [" + h20 + "], require_pinned_images: true, allowed_scripts: [{kind: prelaunch, sha256: " + h32 + "}]}\n",
			`app.allowed_scripts[0].kind: expected one of [init_script pre_launch_script bash_script], found "prelaunch"`},
		{"script hash 31 bytes", "version: 1\napp: {app_ids: [" + h20 + "], require_pinned_images: true, allowed_scripts: [{kind: init_script, sha256: " + hexOf(1, 31) + "}]}\n",
			"app.allowed_scripts[0].sha256: expected 32 bytes"},
		{"script without hash", "version: 1\napp: {app_ids: [" + h20 + "], require_pinned_images: true, allowed_scripts: [{kind: init_script}]}\n",
			"app.allowed_scripts[0].sha256: expected 32 bytes"},
		{"scripts without pinned images", "version: 1\napp: {app_ids: [" + h20 + "], allowed_scripts: [{kind: init_script, sha256: " + h32 + "}]}\n",
			"app.allowed_scripts: expected no scripts unless require_pinned_images is true"},
		{"unknown script key", "version: 1\napp: {app_ids: [" + h20 + "], require_pinned_images: true, allowed_scripts: [{kind: init_script, sha256: " + h32 + ", text: x}]}\n",
			"field text not found"},
		{"allowed_scripts null", "version: 1\napp: {app_ids: [" + h20 + "], require_pinned_images: true, allowed_scripts: null}\n", "found null"},

		// Channel and attestation.
		{"empty binding", "version: 1\n" + app + "channel: {binding: \"\"}\n", `channel.binding: expected spki, ratls or none, found ""`},
		{"unknown binding", "version: 1\n" + app + "channel: {binding: tls}\n", `found "tls"`},
		{"binding case", "version: 1\n" + app + "channel: {binding: SPKI}\n", `found "SPKI"`},
		{"zero max age", "version: 1\n" + app + "attestation: {max_age: 0s}\n", "attestation.max_age: expected a positive duration, found 0s"},
		{"negative max age", "version: 1\n" + app + "attestation: {max_age: -1m}\n", "non-negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc), t.TempDir())
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseReportsEveryFieldError(t *testing.T) {
	doc := "version: 2\ntcb: {accept: [Bogus]}\napp: {app_ids: [" + hexOf(1, 3) + "]}\nchannel: {binding: tls}\n"
	_, err := Parse([]byte(doc), "")
	require.Error(t, err)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		require.ErrorAs(t, e, &fe)
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"version", "tcb.accept[0]", "app.app_ids[0]", "channel.binding"}, fields)
}

func TestParseAllowedScripts(t *testing.T) {
	doc := "version: 1\napp:\n  app_ids: [" + hexOf(0x44, 20) + "]\n  require_pinned_images: true\n  allowed_scripts:\n" +
		"    - kind: pre_launch_script\n      sha256: " + hexOf(0xaa, 32) + "\n" +
		"    - {kind: init_script, sha256: \"0x" + hexOf(0xbb, 32) + "\"}\n"
	p := mustParse(t, doc)
	assert.Equal(t, []AllowedScript{
		{Kind: compose.ScriptPreLaunch, SHA256: fill(0xaa, 32)},
		{Kind: compose.ScriptInit, SHA256: fill(0xbb, 32)},
	}, p.App.AllowedScripts)
}

func TestParseAppAny(t *testing.T) {
	p := mustParse(t, "version: 1\napp: {any: true}\n")
	assert.True(t, p.App.Any)
	assert.NoError(t, p.Check(testReport()))
}

func TestParseComposeFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apps/app-compose.json", composeJSON)
	other := writeFile(t, t.TempDir(), "other.json", `{"other":true}`)
	otherSum := sha256.Sum256([]byte(`{"other":true}`))

	doc := "version: 1\napp:\n  compose_files: [apps/app-compose.json, " + other + "]\n"
	p, err := Parse([]byte(doc), dir)
	require.NoError(t, err)
	require.Len(t, p.App.ComposeFiles, 2)
	assert.Equal(t, "apps/app-compose.json", p.App.ComposeFiles[0].Path, "the path is kept as written")
	assert.Equal(t, Hex(composeHash()), p.App.ComposeFiles[0].SHA256, "hashed relative to baseDir")
	assert.Equal(t, Hex(otherSum[:]), p.App.ComposeFiles[1].SHA256, "absolute paths are read as they are")
	assert.NoError(t, p.Check(testReport()))

	// The same policy loaded from a file resolves relative to that file.
	path := writeFile(t, dir, "policy.yaml", doc)
	loaded, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, p, loaded)
}

func TestParseComposeFileErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "big.json", strings.Repeat(" ", MaxComposeFileSize+1))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	tests := []struct {
		name, file string
		is         error
		want       string
	}{
		{"missing", "nope.json", fs.ErrNotExist, `app.compose_files[0]: expected a readable app-compose.json, found "nope.json"`},
		{"directory", "sub", errNotRegular, "not a regular file"},
		{"too large", "big.json", verify.ErrTooLarge, "larger than 1048576 bytes"},
		{"empty path", `""`, nil, "app.compose_files[0]"},
		{"too many", strings.Repeat("nope.json, ", MaxComposeFiles+1), nil, "app.compose_files: expected at most 64 files, found 65"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte("version: 1\napp: {compose_files: ["+tt.file+"]}\n"), dir)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", minimal)
	p, err := Load(good)
	require.NoError(t, err)
	assert.Equal(t, List[Hex]{fill(0x44, 20)}, p.App.AppIDs)

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, ErrInvalid, "an unreadable file is an I/O error, not an invalid policy")

	big := writeFile(t, dir, "big.yaml", minimal+"#"+strings.Repeat("x", MaxSize))
	_, err = Load(big)
	require.ErrorIs(t, err, verify.ErrTooLarge)
	assert.ErrorIs(t, err, ErrInvalid)

	_, err = Load(dir)
	assert.ErrorIs(t, err, errNotRegular)
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		str     string
		wantErr string
	}{
		{in: "720h", want: 720 * time.Hour, str: "30d"},
		{in: "30d", want: 720 * time.Hour, str: "30d"},
		{in: "1d", want: 24 * time.Hour, str: "1d"},
		{in: "0d", want: 0, str: "0s"},
		{in: "0s", want: 0, str: "0s"},
		{in: "1h", want: time.Hour, str: "1h"},
		{in: "90m", want: 90 * time.Hour / 60, str: "1h30m"},
		{in: "30m", want: 30 * time.Minute, str: "30m"},
		{in: "1m30s", want: 90 * time.Second, str: "1m30s"},
		{in: "36500d", want: 36500 * 24 * time.Hour, str: "36500d"},
		{in: "36501d", wantErr: "at most 36500 days"},
		{in: "99999999999999999999d", wantErr: "at most 36500 days"},
		{in: "-1h", wantErr: "non-negative"},
		{in: "30", wantErr: "missing unit"},
		{in: "d", wantErr: `found "d"`},
		{in: "1.5d", wantErr: `found "1.5d"`},
		{in: "-1d", wantErr: `found "-1d"`},
		{in: "", wantErr: `found ""`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalText([]byte(tt.in))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, time.Duration(d))
			assert.Equal(t, tt.str, d.String())
			var back Duration
			require.NoError(t, back.UnmarshalText([]byte(d.String())))
			assert.Equal(t, d, back, "String parses back")
		})
	}
}

func TestExampleFile(t *testing.T) {
	p, err := Load("../testdata/policy/example.yaml")
	require.NoError(t, err)
	data, err := os.ReadFile("../testdata/policy/app-compose.json")
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	require.Len(t, p.App.ComposeFiles, 1)
	assert.Equal(t, Hex(sum[:]), p.App.ComposeFiles[0].SHA256)
	assert.Equal(t, Duration(30*24*time.Hour), p.TCB.OutOfDateGrace)
	assert.Len(t, p.Platform, 1)
	assert.Len(t, p.App.KeyProviders, 1)
	assert.Equal(t, List[Hex]{{0, 0, 0, 0x10, 0, 0, 0, 0}}, p.TD.Attributes)
	assert.Nil(t, p.TD.MRServiceTD, "the default: no service TD")
}
