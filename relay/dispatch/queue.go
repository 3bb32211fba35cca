package dispatch

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// fifo is a queue of messages with any number of consumers that block in
// pop. It holds only messages that are already durable: losing its content
// (a crash) loses nothing, since recovery rebuilds it from the store.
type fifo struct {
	wake chan struct{} // capacity 1: "there may be something to pop"

	mu struct {
		sync.Mutex
		items []*message.Message
		head  int
	}
}

func newFIFO() *fifo { return &fifo{wake: make(chan struct{}, 1)} }

func (q *fifo) push(ms ...*message.Message) {
	if len(ms) == 0 {
		return
	}
	q.mu.Lock()
	q.mu.items = append(q.mu.items, ms...)
	q.mu.Unlock()
	q.signal()
}

func (q *fifo) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop blocks until a message is there or ctx ends.
func (q *fifo) pop(ctx context.Context) (*message.Message, bool) {
	for {
		if m, more, ok := q.tryPop(); ok {
			if more {
				q.signal() // hand the wake-up on to the next consumer
			}
			return m, true
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

func (q *fifo) tryPop() (m *message.Message, more, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.mu.head == len(q.mu.items) {
		return nil, false, false
	}
	m = q.mu.items[q.mu.head]
	q.mu.items[q.mu.head] = nil
	q.mu.head++
	switch {
	case q.mu.head == len(q.mu.items):
		q.mu.items, q.mu.head = q.mu.items[:0], 0
	case q.mu.head > 4096 && q.mu.head > len(q.mu.items)/2:
		n := copy(q.mu.items, q.mu.items[q.mu.head:])
		clear(q.mu.items[n:])
		q.mu.items, q.mu.head = q.mu.items[:n], 0
	}
	return m, q.mu.head < len(q.mu.items), true
}

func (q *fifo) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.mu.items) - q.mu.head
}

// delay holds messages until their time on its clock: a retry's backoff.
type delay struct {
	wake    chan struct{}
	now     func() time.Time
	maxWait time.Duration // the longest it sleeps, holding messages, before it looks at the clock again
	mu      struct {
		sync.Mutex
		h delayHeap
	}
}

func newDelay(now func() time.Time, maxWait time.Duration) *delay {
	return &delay{wake: make(chan struct{}, 1), now: now, maxWait: maxWait}
}

func (l *delay) add(m *message.Message, at time.Time) {
	l.mu.Lock()
	heap.Push(&l.mu.h, delayed{m, at})
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *delay) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.h.Len()
}

func (l *delay) run(ctx context.Context, out *fifo) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		l.mu.Lock()
		wait := time.Hour // empty: until add wakes it
		for l.mu.h.Len() > 0 {
			next := l.mu.h[0]
			if d := next.at.Sub(l.now()); d > 0 {
				wait = min(d, l.maxWait)
				break
			}
			heap.Pop(&l.mu.h)
			out.push(next.m)
		}
		l.mu.Unlock()
		t.Reset(wait)
		select {
		case <-t.C:
		case <-l.wake:
		case <-ctx.Done():
			return
		}
	}
}

type delayed struct {
	m  *message.Message
	at time.Time
}

type delayHeap []delayed

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(delayed)) }
func (h *delayHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
