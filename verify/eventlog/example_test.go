package eventlog_test

import (
	"encoding/hex"
	"fmt"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Replay a log, then read the identity it records. In real use the RTMRs
// must first be compared with those of a verified quote.
func Example() {
	raw := []byte(`[
	  {"imr":3,"event_type":134217729,"digest":"","event":"app-id","event_payload":"0x` + hex.EncodeToString(make([]byte, 20)) + `"},
	  {"imr":3,"event_type":134217729,"digest":"","event":"compose-hash","event_payload":"` + hex.EncodeToString(make([]byte, 32)) + `"},
	  {"imr":3,"event_type":134217729,"digest":"","event":"system-ready","event_payload":""}
	]`)
	events, err := eventlog.Decode(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	rtmrs, replayed, err := eventlog.Replay(events)
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := eventlog.ExtractIdentity(replayed)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("RTMR3:", hex.EncodeToString(rtmrs[3][:8]))
	fmt.Println("app id:", hex.EncodeToString(id.AppID))
	// Output:
	// RTMR3: a1398916abb33b8d
	// app id: 0000000000000000000000000000000000000000
}

// Build a runtime event the way a dstack guest logs it.
func ExampleNewRuntimeEvent() {
	e := eventlog.NewRuntimeEvent("system-ready", nil)
	fmt.Println(e.IMR, e.Event, hex.EncodeToString(e.Digest[:8]))
	// Output:
	// 3 system-ready 1a76b2a80a0be71e
}
