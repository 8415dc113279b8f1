package transport_test

import "runtime"

// runtimeGosched yields while a test polls a counter another goroutine
// advances.
func runtimeGosched() { runtime.Gosched() }
