package dispatch

import (
	"context"
	"sync"
)

// localSlots is BindSlots for a relay alone: the carriers of one account
// (entries that bind the same login) take its max_binds slots from one
// pool, as a cluster's nodes do from the cluster's. A slot is never lost.
type localSlots struct {
	mu struct {
		sync.Mutex
		held  map[string]int // by account
		freed chan struct{}  // closed, and replaced, when a slot is given back
	}
}

var _ BindSlots = (*localSlots)(nil)

func newLocalSlots() *localSlots {
	l := &localSlots{}
	l.mu.held = map[string]int{}
	l.mu.freed = make(chan struct{})
	return l
}

// AcquireBind waits until fewer than max slots of account are held, or
// ctx ends.
func (l *localSlots) AcquireBind(ctx context.Context, account string, max int) (context.Context, func(), error) {
	for {
		l.mu.Lock()
		if l.mu.held[account] < max {
			l.mu.held[account]++
			l.mu.Unlock()
			var once sync.Once
			return context.Background(), func() { once.Do(func() { l.release(account) }) }, nil
		}
		freed := l.mu.freed
		l.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

func (l *localSlots) release(account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mu.held[account]--
	close(l.mu.freed)
	l.mu.freed = make(chan struct{})
}

// BindsHeld is how many slots of account are held.
func (l *localSlots) BindsHeld(account string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.held[account]
}
