package main

import "time"

// clock is the monitor's time: the current time, against which expiries
// are measured, and the timers that schedule checks. Tests drive a fake
// one, so that no test waits for the wall clock.
type clock interface {
	Now() time.Time
	// Timer returns a channel that receives once d has passed, and a
	// function that stops the timer.
	Timer(d time.Duration) (<-chan time.Time, func() bool)
}

// wallClock is the clock of a running monitor.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
