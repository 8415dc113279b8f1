package testvectors_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
)

// TestVectorsPresent reads every vector the tests use, from the package
// directory two levels below the module root.
func TestVectorsPresent(t *testing.T) {
	dir, err := testvectors.Find()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("testdata", "vectors"), filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir)))

	tests := []struct {
		name     string
		elem     []string
		quoteLen int // length of the raw quote, trailing padding included
	}{
		{"dcap-qvl quote", []string{"dcap-qvl", "tdx_quote"}, 5006},
		{"dcap-qvl collateral", []string{"dcap-qvl", "tdx_quote_collateral.json"}, 0},
		{"dstack quote-report", []string{"dstack", "quote-report.json"}, 5006},
		{"dstack tdx-lite", []string{"dstack", "tdx-lite-getquote.json"}, 5006},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotEmpty(t, testvectors.Read(t, tt.elem...))
			if tt.quoteLen > 0 {
				assert.Len(t, testvectors.Quote(t, tt.elem...), tt.quoteLen)
			}
		})
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the failure and ends
// the goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestMissingVectorFails checks that a vector which is not there fails the
// test, naming the file, instead of skipping it.
func TestMissingVectorFails(t *testing.T) {
	tests := map[string]func(tb testing.TB){
		"Path":  func(tb testing.TB) { testvectors.Path(tb, "dstack", "no-such-vector.json") },
		"Read":  func(tb testing.TB) { testvectors.Read(tb, "dstack", "no-such-vector.json") },
		"Quote": func(tb testing.TB) { testvectors.Quote(tb, "dstack", "no-such-vector.json") },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			rec := &fatalRecorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				call(rec)
			}()
			<-done
			assert.Contains(t, rec.msg, filepath.Join("dstack", "no-such-vector.json"))
			assert.Contains(t, rec.msg, "missing from testdata/vectors")
		})
	}
}
