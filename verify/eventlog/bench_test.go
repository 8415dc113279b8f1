package eventlog_test

import (
	"encoding/json"
	"testing"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// benchLog is a log shaped like a real dstack one: about 20 boot events and
// a dozen runtime events whose digests must be recomputed.
func benchLog() []eventlog.Event {
	var events []eventlog.Event
	for i := range 20 {
		events = append(events, eventlog.NewBootEvent(i%3, 0x80000001, []byte{byte(i)}))
	}
	events = append(events, identityEvents()...)
	events = append(events, rt("app-event", []byte("payload")))
	for i := range events {
		if events[i].EventType == eventlog.EventTypeDstackRuntime {
			events[i].Digest = nil // as a stripped dstack log carries them
		}
	}
	return events
}

func BenchmarkReplay(b *testing.B) {
	events := benchLog()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := eventlog.Replay(events); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	raw, err := json.Marshal(benchLog())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eventlog.Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtractIdentity(b *testing.B) {
	_, events, err := eventlog.Replay(benchLog())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eventlog.ExtractIdentity(events); err != nil {
			b.Fatal(err)
		}
	}
}
