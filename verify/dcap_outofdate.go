package verify

import (
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// The dates since when each part of the TCB is out of date, which a
// policy's out-of-date grace is measured from (see Report.OutOfDateSince
// and the per-part fields). A part gets a date only when its own level is
// out of date: the platform's dates say nothing of an out-of-date TDX
// module or QE.

// platformOutOfDate reports whether a platform TCB level status says the
// platform is out of date.
func platformOutOfDate(s TCBStatus) bool {
	return s == StatusOutOfDate || s == StatusOutOfDateConfigurationNeeded
}

// isvOutOfDateSince returns when a TDX module or QE matched at level l of
// levels fell behind: the tcbDate of the earliest level with a higher
// isvsvn dated after l, the update it first missed; the date of the level
// with the highest isvsvn when no higher level is dated later; zero when
// no level has a higher isvsvn. It does not depend on the order of levels.
func isvOutOfDateSince(levels []collateral.ISVTCBLevel, l *collateral.ISVTCBLevel) time.Time {
	var since, top time.Time
	topSVN := l.TCB.ISVSVN
	for i := range levels {
		h := &levels[i]
		if h.TCB.ISVSVN <= l.TCB.ISVSVN {
			continue
		}
		if h.TCB.ISVSVN > topSVN {
			topSVN, top = h.TCB.ISVSVN, h.TCBDate
		}
		if h.TCBDate.After(l.TCBDate) && (since.IsZero() || h.TCBDate.Before(since)) {
			since = h.TCBDate
		}
	}
	if since.IsZero() {
		return top
	}
	return since
}

// outOfDateSince returns when the TD fell out of date: the earliest date
// of the parts that are out of date; zero when none is, or when one of
// them has no date.
func (o *tcbOutcome) outOfDateSince() time.Time {
	var earliest time.Time
	for _, p := range [...]struct {
		out   bool
		since time.Time
	}{
		{platformOutOfDate(o.platform), o.platformSince},
		{o.module == StatusOutOfDate, o.moduleSince},
		{o.qe == StatusOutOfDate, o.qeSince},
	} {
		switch {
		case !p.out:
		case p.since.IsZero():
			return time.Time{}
		case earliest.IsZero() || p.since.Before(earliest):
			earliest = p.since
		}
	}
	return earliest
}
