package verify

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// replayAgainst replays events and compares the four RTMRs with those of a
// verified quote body. It returns the replayed events (runtime digests
// recomputed) and, per RTMR, whether the replay matched. The error names
// the first RTMR that differs, with the quote's value as expected and the
// replay as found.
func replayAgainst(body *quote.Body, events []eventlog.Event) ([]eventlog.Event, [4]bool, error) {
	var matched [4]bool
	rtmrs, replayed, err := eventlog.Replay(events)
	if err != nil {
		return nil, matched, eventLogError("event log replay", err)
	}
	first := -1
	for i := range rtmrs {
		matched[i] = rtmrs[i] == body.RTMR[i]
		if !matched[i] && first < 0 {
			first = i
		}
	}
	if first >= 0 {
		return nil, matched, mismatch(KindRTMRMismatch, fmt.Sprintf("rtmr%d replay", first),
			hex.EncodeToString(body.RTMR[first][:]), hex.EncodeToString(rtmrs[first][:]))
	}
	return replayed, matched, nil
}

// eventLogError turns an eventlog error into an *Error of the matching kind,
// keeping the eventlog error as the cause.
func eventLogError(check string, err error) *Error {
	var (
		dm   *eventlog.DigestMismatchError
		dup  *eventlog.DuplicateEventError
		miss *eventlog.MissingEventError
	)
	switch {
	case errors.As(err, &dm):
		return &Error{Kind: KindEventDigestMismatch,
			Check:    fmt.Sprintf("%s: event %d (imr %d %q) %s", check, dm.Index, dm.IMR, dm.Name, dm.Field),
			Expected: hexfmt.Clip(dm.Expected), Found: hexfmt.Clip(dm.Found), Err: err}
	case errors.As(err, &dup):
		return &Error{Kind: KindDuplicateEvent, Check: fmt.Sprintf("%s: %q", check, dup.Name), Err: err}
	case errors.As(err, &miss):
		return &Error{Kind: KindMissingEvent, Check: fmt.Sprintf("%s: %q", check, miss.Name), Err: err}
	default:
		return newError(KindEventLogMalformed, check, err)
	}
}
