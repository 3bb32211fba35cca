package dispatch

import (
	"container/heap"
	"context"
	"slices"
	"sync"
	"sync/atomic"
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
		idle  []*consumer // consumers waiting in take
	}
}

// consumer is one goroutine taking messages from a fifo until its context
// ends: a carrier's worker. It waits on a channel of its own, which a push
// hands a message's turn to, instead of a select on the queue's wake-up
// and its context (which every worker of the carrier would lock).
type consumer struct {
	q       *fifo
	turn    chan struct{} // capacity 1
	stopped atomic.Bool
	release func() bool // stops the context's watch
}

func newFIFO() *fifo { return &fifo{wake: make(chan struct{}, 1)} }

func (q *fifo) push(ms ...*message.Message) {
	if len(ms) == 0 {
		return
	}
	q.mu.Lock()
	q.mu.items = append(q.mu.items, ms...)
	c := q.idleLocked()
	q.mu.Unlock()
	if c != nil {
		c.wakeUp()
		return
	}
	q.signal()
}

// idleLocked takes the consumer that began to wait last (its stack is
// the likeliest in cache), or nil.
func (q *fifo) idleLocked() *consumer {
	n := len(q.mu.idle)
	if n == 0 {
		return nil
	}
	c := q.mu.idle[n-1]
	q.mu.idle[n-1] = nil
	q.mu.idle = q.mu.idle[:n-1]
	return c
}

// consumer makes a consumer that takes from q until ctx ends; close it
// when done.
func (q *fifo) consumer(ctx context.Context) *consumer {
	c := &consumer{q: q, turn: make(chan struct{}, 1)}
	c.release = context.AfterFunc(ctx, func() {
		c.stopped.Store(true)
		q.mu.Lock()
		q.mu.idle = slices.DeleteFunc(q.mu.idle, func(o *consumer) bool { return o == c })
		q.mu.Unlock()
		c.wakeUp()
	})
	return c
}

func (c *consumer) wakeUp() {
	select {
	case c.turn <- struct{}{}:
	default: // a turn is waiting already
	}
}

// close stops watching the consumer's context.
func (c *consumer) close() { c.release() }

// take blocks until a message is there, or the consumer's context ends.
// A message in the queue is taken even after the end, as pop does.
func (c *consumer) take() (*message.Message, bool) {
	q := c.q
	for {
		q.mu.Lock()
		if m, ok := q.popLocked(); ok {
			next := (*consumer)(nil)
			if q.mu.head < len(q.mu.items) {
				next = q.idleLocked() // more to take: hand the turn on
			}
			q.mu.Unlock()
			if next != nil {
				next.wakeUp()
			}
			return m, true
		}
		if c.stopped.Load() {
			q.mu.Unlock()
			return nil, false
		}
		q.mu.idle = append(q.mu.idle, c)
		q.mu.Unlock()
		<-c.turn
		if c.stopped.Load() {
			// A push may have handed this consumer a message's turn just
			// as it stopped: pass it on to another.
			q.mu.Lock()
			q.mu.idle = slices.DeleteFunc(q.mu.idle, func(o *consumer) bool { return o == c })
			var next *consumer
			if q.mu.head < len(q.mu.items) {
				next = q.idleLocked()
			}
			q.mu.Unlock()
			if next != nil {
				next.wakeUp()
			}
			return nil, false
		}
	}
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
	m, ok = q.popLocked()
	return m, ok && q.mu.head < len(q.mu.items), ok
}

func (q *fifo) popLocked() (m *message.Message, ok bool) {
	if q.mu.head == len(q.mu.items) {
		return nil, false
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
	return m, true
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
