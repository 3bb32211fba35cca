package smpptest

import (
	"context"
	"runtime/pprof"
)

// simLabels is the pprof label every goroutine of a Server runs with,
// part=simulator, so that a CPU profile of a process that holds both a
// simulated SMSC and the relay it serves (the bench harness) tells them
// apart. The goroutines a Server starts set it themselves; those they
// start inherit it.
var simLabels = pprof.WithLabels(context.Background(), pprof.Labels("part", "simulator"))

// labelled runs f on the calling goroutine under simLabels; the goroutine
// has no labels after (the server's goroutines are its own, or a test's
// fake clock, which keeps none).
func labelled(f func()) {
	pprof.SetGoroutineLabels(simLabels)
	defer pprof.SetGoroutineLabels(context.Background())
	f()
}
