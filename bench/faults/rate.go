package faults

import (
	"sync"
	"time"
)

// RateMeter samples a counter (submits seen at a carrier) every few
// milliseconds, to find the most counted in any one-second window.
type RateMeter struct {
	read func() int64
	stop chan struct{}
	done chan struct{}

	mu struct {
		sync.Mutex
		at    []time.Time
		n     []int64
		stall time.Duration // the longest the sampler was late
	}
}

// NewRateMeter starts sampling read every 5 ms until Stop.
func NewRateMeter(read func() int64) *RateMeter {
	m := &RateMeter{read: read, stop: make(chan struct{}), done: make(chan struct{})}
	go m.loop()
	return m
}

func (m *RateMeter) loop() {
	defer close(m.done)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-m.stop:
			m.sample()
			return
		case <-t.C:
		}
	}
}

// sample reads the counter between two clock readings; a read that took
// more than a millisecond (the sampler was descheduled) cannot be placed
// in time and is dropped, lest it stretch or shrink a window.
func (m *RateMeter) sample() {
	t0 := time.Now()
	n := m.read()
	t1 := time.Now()
	if t1.Sub(t0) > time.Millisecond {
		return
	}
	m.mu.Lock()
	if k := len(m.mu.at); k > 0 {
		m.mu.stall = max(m.mu.stall, t0.Sub(m.mu.at[k-1])-5*time.Millisecond)
	}
	m.mu.at = append(m.mu.at, t0.Add(t1.Sub(t0)/2))
	m.mu.n = append(m.mu.n, n)
	m.mu.Unlock()
}

// Stop ends the sampling and waits for it.
func (m *RateMeter) Stop() {
	close(m.stop)
	<-m.done
}

// MaxPerSecond is the largest increase of the counter over any window of
// one second between samples, and when that window ended.
func (m *RateMeter) MaxPerSecond() (int64, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best int64
	var when time.Time
	j := 0
	for i := range m.mu.at {
		for m.mu.at[i].Sub(m.mu.at[j]) > time.Second {
			j++
		}
		if d := m.mu.n[i] - m.mu.n[j]; d > best {
			best, when = d, m.mu.at[i]
		}
	}
	return best, when
}

// Stall is the longest the sampler woke late: how long this process (and
// with it a relay and carrier running in it) was kept off the CPU. Sends
// held back by such a stall reach the carrier together when it ends, so a
// window that holds a stall of d can count up to rate × d more than the
// sender's pace.
func (m *RateMeter) Stall() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.stall
}
