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
		at []time.Time
		n  []int64
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

func (m *RateMeter) sample() {
	n := m.read()
	m.mu.Lock()
	m.mu.at = append(m.mu.at, time.Now())
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
