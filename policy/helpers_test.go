package policy

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// verifiedAt is the verification time of the test reports.
var verifiedAt = time.Date(2025, 7, 19, 10, 0, 0, 0, time.UTC)

// fill returns n bytes of value b.
func fill(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

// composeJSON is the app-compose.json of the test CVM.
const composeJSON = `{"manifest_version":2,"name":"demo","runner":"docker-compose","docker_compose_file":"services:\n  web:\n    image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000\n"}`

func composeHash() []byte {
	h := sha256.Sum256([]byte(composeJSON))
	return h[:]
}

// testReport returns a report of an UpToDate, non-debug dstack CVM with
// an spki-bound channel and pinned images. Measurements are fills:
// MRTD 0x11, RTMR0-2 0x20-0x22, OS image 0x33, app id 0x44, KMS id 0x55.
func testReport() *verify.Report {
	var b quote.Body
	copy(b.MRTD[:], fill(0x11, 48))
	for i := range 4 {
		copy(b.RTMR[i][:], fill(byte(0x20+i), 48))
	}
	return &verify.Report{
		QuoteVersion:      quote.Version4,
		Body:              b,
		VerifiedAt:        verifiedAt,
		TCBStatus:         verify.StatusUpToDate,
		PlatformTCBStatus: verify.StatusUpToDate,
		QETCBStatus:       verify.StatusUpToDate,
		Dstack: &verify.Dstack{
			Identity: eventlog.Identity{
				AppID:       fill(0x44, 20),
				ComposeHash: composeHash(),
				InstanceID:  fill(0x66, 20),
				OSImageHash: fill(0x33, 32),
				KeyProvider: &eventlog.KeyProvider{Name: "kms", ID: "5555555555"},
			},
			RTMRReplayed: [4]bool{true, true, true, true},
			Compose: &compose.App{
				Raw: composeJSON,
				Services: []compose.Service{
					{Name: "web", Image: "nginx@sha256:" + string(bytes.Repeat([]byte("0"), 64)), Pinned: true},
				},
			},
			Binding: verify.BindingSPKI,
		},
	}
}

// hexOf is the lower-case hex of n bytes of value b.
func hexOf(b byte, n int) string { return Hex(fill(b, n)).String() }

// testPolicyYAML is a policy that testReport satisfies, checking every field.
var testPolicyYAML = `version: 1
tcb:
  accept: [UpToDate]
  allow_debug: false
platform:
  - mrtd: ` + hexOf(0x11, 48) + `
    rtmr0: ` + hexOf(0x20, 48) + `
    rtmr1: ` + hexOf(0x21, 48) + `
    rtmr2: ` + hexOf(0x22, 48) + `
os_image_hashes: [` + hexOf(0x33, 32) + `]
app:
  compose_hashes: [` + Hex(composeHash()).String() + `]
  app_ids: [` + hexOf(0x44, 20) + `]
  key_providers: [{name: kms, id: "5555555555"}]
  require_pinned_images: true
channel:
  binding: spki
attestation:
  max_age: 1h
`

// mustParse parses a policy that must be valid.
func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), t.TempDir())
	require.NoError(t, err)
	return p
}

// writeFile writes data to name under dir and returns its path.
func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	return path
}
