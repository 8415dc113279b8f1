package remote

import (
	"errors"
	"testing"
)

// FuzzParseAnswer: any answer gives a verdict or an *Error of a class,
// never a panic, and a detail within its bound.
func FuzzParseAnswer(f *testing.F) {
	f.Add(200, []byte(`{"quote":{"verified":true,"body":{"reportdata":"0x00"}},"checksum":"ab"}`))
	f.Add(200, []byte(`{"quote":{"verified":0}}`))
	f.Add(400, []byte(`{"detail":"Quote verification failed"}`))
	f.Add(422, []byte(`{"detail":[{"msg":"x"}]}`))
	f.Add(500, []byte(``))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		v, err := parseAnswer(status, body)
		if (v == nil) == (err == nil) {
			t.Fatalf("exactly one of a verdict and an error: %v, %v", v, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Class != ErrUnavailable && e.Class != ErrRequest && e.Class != ErrAnswer) {
				t.Fatalf("an error of no class: %v", err)
			}
			if len(e.Detail) > maxDetail+3 {
				t.Fatalf("detail of %d bytes", len(e.Detail))
			}
			return
		}
		if len(v.Detail) > maxDetail+3 || len(v.Checksum) > maxDetail+3 {
			t.Fatalf("unbounded verdict strings")
		}
	})
}
