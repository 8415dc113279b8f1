package policy

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse: Parse never panics, and whatever it accepts is valid, can be
// checked, and survives Marshal and JSON encoding unchanged.
func FuzzParse(f *testing.F) {
	seeds := []string{
		testPolicyYAML,
		minimal,
		"version: 1\napp: {any: true}\n",
		"version: 1\ntcb: {accept: [UpToDate, ConfigurationNeeded], out_of_date_grace: 30d}\napp: {compose_files: [c.json]}\nchannel: {binding: none}\n",
		`{"version":1,"tcb":{"accept":["unknown"]},"platform":[{"mrtd":"` + hexOf(1, 48) + `"}],"app":{"app_ids":[]},"attestation":{"max_age":"90m"}}`,
		"version: 1\napp: &a {any: true}\nx: *a\n",
		"version: 1\n---\nversion: 2\n",
		"{\n\t\"version\": 1\n}",
		"version: 1\ntcb: {allow_debug: true}\ntd: {attributes: [\"0100001000000000\"], xfam: [e702060000000000], mrservicetd: [" + hexOf(0, 48) + "]}\n" +
			"app: {app_ids: [" + hexOf(4, 20) + "], key_providers: [{name: none, id: \"\"}]}\n",
	}
	if data, err := os.ReadFile("../testdata/policy/example.yaml"); err == nil {
		seeds = append(seeds, string(data))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	writeFile(f, dir, "c.json", composeJSON)

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, dir)
		if err != nil {
			require.Nil(t, p)
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		require.NoError(t, p.Validate())
		_ = p.Check(testReport())
		_ = p.Check(nil)
		_ = p.AcceptedStatuses()

		out, err := p.Marshal()
		require.NoError(t, err)
		back, err := Parse(out, dir)
		require.NoError(t, err, "marshaled:\n%s", out)
		require.Equal(t, p, back)

		js, err := json.Marshal(p)
		require.NoError(t, err)
		fromJSON, err := Parse(js, dir)
		require.NoError(t, err, "json: %s", js)
		require.Equal(t, p, fromJSON)
	})
}
