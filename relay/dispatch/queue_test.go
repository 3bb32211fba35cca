package dispatch

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// TestConsumersTakeEveryMessage: consumers of one fifo, half of them
// stopped by their own context part-way, take every message pushed, each
// once; the stopped ones return, and the others go on taking.
func TestConsumersTakeEveryMessage(t *testing.T) {
	q := newFIFO()
	const n, workers = 20000, 16
	var taken [n]atomic.Int32
	var count atomic.Int64
	early, stopEarly := context.WithCancel(context.Background())
	defer stopEarly()
	late, stopLate := context.WithCancel(context.Background())
	defer stopLate()
	var wg sync.WaitGroup
	for i := range workers {
		ctx := late
		if i%2 == 0 {
			ctx = early
		}
		c := q.consumer(ctx)
		wg.Go(func() {
			defer c.close()
			for {
				m, ok := c.take()
				if !ok {
					return
				}
				taken[m.Attempts].Add(1)
				count.Add(1)
			}
		})
	}
	for i := range n {
		q.push(&message.Message{Attempts: uint32(i)})
		if i == n/2 {
			stopEarly()
		}
	}
	deadline := time.Now().Add(time.Minute)
	for count.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("taken %d of %d; %d left in the queue", count.Load(), n, q.len())
		}
		time.Sleep(time.Millisecond)
	}
	stopLate()
	wg.Wait()
	for i := range n {
		if k := taken[i].Load(); k != 1 {
			t.Fatalf("message %d taken %d times", i, k)
		}
	}
}

// TestConsumerStops: a consumer waiting on an empty queue returns when its
// context ends; one whose context ended still takes what is queued.
func TestConsumerStops(t *testing.T) {
	q := newFIFO()
	ctx, cancel := context.WithCancel(context.Background())
	c := q.consumer(ctx)
	defer c.close()
	done := make(chan bool)
	go func() {
		_, ok := c.take()
		done <- ok
	}()
	cancel()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("took a message from an empty queue")
		}
	case <-time.After(time.Minute):
		t.Fatal("take did not return after its context ended")
	}
	q.push(&message.Message{Attempts: 7})
	if m, ok := c.take(); !ok || m.Attempts != 7 {
		t.Fatalf("take after the end with one queued = %v, %v", m, ok)
	}
	if _, ok := c.take(); ok {
		t.Fatal("take on an empty queue after the end reported a message")
	}
}

// BenchmarkQueueHandOff pushes messages one at a time to a carrier's 64
// waiting workers, each of which takes one and goes back to waiting: the
// hand-off of a message to a worker, by the consumers' own channels
// (take) and by the shared wake-up and context (pop).
func BenchmarkQueueHandOff(b *testing.B) {
	for _, mode := range []string{"take", "pop"} {
		b.Run(mode, func(b *testing.B) {
			q := newFIFO()
			ctx, cancel := context.WithCancel(context.Background())
			var done atomic.Int64
			var wg sync.WaitGroup
			for range 64 {
				c := q.consumer(ctx)
				wg.Go(func() {
					defer c.close()
					for {
						var ok bool
						if mode == "take" {
							_, ok = c.take()
						} else {
							_, ok = q.pop(ctx)
						}
						if !ok {
							return
						}
						done.Add(1)
					}
				})
			}
			m := &message.Message{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				q.push(m)
				for done.Load() < int64(i+1)-32 { // at most 32 waiting
					runtime.Gosched()
				}
			}
			for done.Load() < int64(b.N) {
				runtime.Gosched()
			}
			b.StopTimer()
			cancel()
			wg.Wait()
		})
	}
}
