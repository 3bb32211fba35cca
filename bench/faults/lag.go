package faults

import (
	"sync"
	"sync/atomic"
	"time"
)

// LagMeter measures how late this process's goroutines are woken while it
// runs: a timer every 5 ms, and the worst lateness seen. A check that the
// relay acted within some time adds the lag to its slack, because a relay
// sharing a busy machine is woken as late as the meter is; on an idle
// machine the lag is near zero and the check is as strict as its figure.
type LagMeter struct {
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	worst atomic.Int64 // nanoseconds
}

const lagTick = 5 * time.Millisecond

// NewLagMeter starts measuring until Stop.
func NewLagMeter() *LagMeter {
	m := &LagMeter{stop: make(chan struct{}), done: make(chan struct{})}
	go m.loop()
	return m
}

func (m *LagMeter) loop() {
	defer close(m.done)
	tm := time.NewTimer(lagTick)
	defer tm.Stop()
	for {
		t0 := time.Now()
		tm.Reset(lagTick)
		select {
		case <-m.stop:
			return
		case <-tm.C:
		}
		if late := time.Since(t0) - lagTick; late > time.Duration(m.worst.Load()) {
			m.worst.Store(int64(late))
		}
	}
}

// Worst is the longest the meter was woken late so far.
func (m *LagMeter) Worst() time.Duration { return time.Duration(m.worst.Load()) }

// Stop ends the measuring and returns the worst lateness. It may be called
// again (deferred, for a test that ends early).
func (m *LagMeter) Stop() time.Duration {
	m.once.Do(func() { close(m.stop) })
	<-m.done
	return m.Worst()
}
