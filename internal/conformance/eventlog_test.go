package conformance_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// honestLog is the event log of the base app's CVM.
func honestLog() []eventlog.Event {
	var app cvmtest.App
	return app.EventLog()
}

// served verifies the base app's evidence whose quote extended the honest
// log, with the log edit makes of it served instead.
func served(edit func([]eventlog.Event) []eventlog.Event) func(t *testing.T) error {
	return func(t *testing.T) error {
		return verifyEvidence(t, cvmEvidence{served: edit(honestLog())}, spkiBinding(), nil)
	}
}

// extended verifies the base app's evidence whose TD extended (and
// serves) the log edit makes of the honest one: the quote and the log
// agree, and the log itself is what is wrong.
func extended(edit func([]eventlog.Event) []eventlog.Event) func(t *testing.T) error {
	return func(t *testing.T) error {
		return verifyEvidence(t, cvmEvidence{extended: edit(honestLog())}, spkiBinding(), nil)
	}
}

// other32 is a 32-byte value no honest event carries.
var other32 = bytes.Repeat([]byte{0xee}, 32)

// forgedComposeHash returns events with the compose-hash event replaced
// by one naming another compose (other32) and carrying no digest, so that
// only the replay against the quote's RTMR3 can catch it.
func forgedComposeHash(events []eventlog.Event) []eventlog.Event {
	e := eventlog.NewRuntimeEvent(eventlog.EventComposeHash, other32)
	e.Digest = nil
	return replaceEvent(events, eventlog.EventComposeHash, &e)
}

// eventLogCases are event logs a hostile CVM could serve beside a genuine
// quote: forged payloads, edited digests, missing, extra, reordered or
// duplicated events, and malformed entries.
func eventLogCases() []hostileCase {
	return []hostileCase{
		{"eventlog/forged compose-hash payload with its old digest", verify.KindEventDigestMismatch, "compose-hash", served(func(ev []eventlog.Event) []eventlog.Event {
			for i := range ev {
				if ev[i].Event == eventlog.EventComposeHash {
					ev[i].Payload = other32 // the digest still says the genuine one
				}
			}
			return ev
		})},
		{"eventlog/forged compose-hash payload without a digest", verify.KindRTMRMismatch, "rtmr3", served(forgedComposeHash)},
		{"eventlog/boot event digest changed", verify.KindRTMRMismatch, "rtmr0", served(func(ev []eventlog.Event) []eventlog.Event {
			ev[0].Digest = bytes.Clone(ev[0].Digest)
			ev[0].Digest[0] ^= 1
			return ev
		})},
		{"eventlog/RTMR1 event dropped", verify.KindRTMRMismatch, "rtmr1", served(func(ev []eventlog.Event) []eventlog.Event {
			for i := range ev {
				if ev[i].IMR == 1 {
					return append(ev[:i], ev[i+1:]...)
				}
			}
			return ev
		})},
		{"eventlog/two RTMR3 events swapped", verify.KindRTMRMismatch, "rtmr3", served(func(ev []eventlog.Event) []eventlog.Event {
			for i := range ev {
				if ev[i].Event == eventlog.EventAppID {
					ev[i], ev[i+1] = ev[i+1], ev[i]
					break
				}
			}
			return ev
		})},
		{"eventlog/event the TD never extended appended", verify.KindRTMRMismatch, "rtmr3", served(func(ev []eventlog.Event) []eventlog.Event {
			return append(ev, eventlog.NewRuntimeEvent("app-event", []byte("never extended")))
		})},
		{"eventlog/runtime event in RTMR2", verify.KindEventLogMalformed, "", extended(func(ev []eventlog.Event) []eventlog.Event {
			e := eventlog.NewRuntimeEvent("app-event", []byte("in the kernel's register"))
			e.IMR = 2
			return insertBefore(ev, eventlog.EventSystemPreparing, e)
		})},
		{"eventlog/second compose-hash before system-ready", verify.KindDuplicateEvent, "compose-hash", extended(func(ev []eventlog.Event) []eventlog.Event {
			return insertBefore(ev, eventlog.EventSystemReady, eventlog.NewRuntimeEvent(eventlog.EventComposeHash, other32))
		})},
		{"eventlog/no compose-hash", verify.KindMissingEvent, "compose-hash", extended(func(ev []eventlog.Event) []eventlog.Event {
			return replaceEvent(ev, eventlog.EventComposeHash, nil)
		})},
		{"eventlog/no system-ready", verify.KindMissingEvent, "system-ready", extended(func(ev []eventlog.Event) []eventlog.Event {
			return replaceEvent(ev, eventlog.EventSystemReady, nil)
		})},
		{"eventlog/app-id of 19 bytes", verify.KindEventLogMalformed, "app-id", extended(func(ev []eventlog.Event) []eventlog.Event {
			e := eventlog.NewRuntimeEvent(eventlog.EventAppID, bytes.Repeat([]byte{1}, 19))
			return replaceEvent(ev, eventlog.EventAppID, &e)
		})},
		{"eventlog/key-provider that is not JSON", verify.KindEventLogMalformed, "key-provider", extended(func(ev []eventlog.Event) []eventlog.Event {
			e := eventlog.NewRuntimeEvent(eventlog.EventKeyProvider, []byte("kms, trust me"))
			return replaceEvent(ev, eventlog.EventKeyProvider, &e)
		})},
		{"eventlog/runtime event whose logged digest lies", verify.KindEventDigestMismatch, "", extended(func(ev []eventlog.Event) []eventlog.Event {
			// The TD extended what it was told (the logged digest, of
			// another payload): the quote agrees with the log, which
			// names a compose it never hashed.
			e := eventlog.NewRuntimeEvent(eventlog.EventComposeHash, other32)
			var app cvmtest.App
			h := app.ComposeHash()
			e.Digest = eventlog.NewRuntimeEvent(eventlog.EventComposeHash, h[:]).Digest
			return replaceEvent(ev, eventlog.EventComposeHash, &e)
		})},
		{"eventlog/version 2 event with a forged preimage", verify.KindEventDigestMismatch, "", func(t *testing.T) error {
			e := eventlog.NewRuntimeEvent("app-event", []byte("v2"))
			e.Version = 2
			d, err := eventlog.RuntimeDigest(e)
			require.NoError(t, err)
			e.Digest, e.Preimage = d, []byte(`{"name":"app-event","payload":"6f74686572","type":134217729}`)
			return extended(func(ev []eventlog.Event) []eventlog.Event { return append(ev, e) })(t)
		}},
		{"eventlog/event in RTMR 4", verify.KindEventLogMalformed, "", func(*testing.T) error {
			_, err := wire.ParseAttestation([]byte(`{"quote":"00","event_log":[{"imr":4,"event_type":1,"digest":"` + hex48 + `","event":"","event_payload":""}]}`))
			return err
		}},
		{"eventlog/digest of 47 bytes", verify.KindEventLogMalformed, "", func(*testing.T) error {
			_, err := wire.ParseAttestation([]byte(`{"quote":"00","event_log":[{"imr":0,"event_type":1,"digest":"` + hex48[:94] + `","event":"","event_payload":""}]}`))
			return err
		}},
		{"eventlog/log that is not a JSON array", verify.KindEventLogMalformed, "", func(*testing.T) error {
			_, err := wire.ParseAttestation([]byte(`{"quote":"00","event_log":"{\"imr\":0}"}`))
			return err
		}},
	}
}

// hex48 is 48 bytes of hex.
var hex48 = string(bytes.Repeat([]byte("ab"), 48))
