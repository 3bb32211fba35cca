package upstream_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// BenchmarkLoopbackSubmit measures accepted submits per second through the
// server and the client over 4 loopback connections, with a handler that
// answers at once: the protocol's own ceiling, before any store.
func BenchmarkLoopbackSubmit(b *testing.B) {
	runLoopback(b, newFakeHandler(), 256)
}

// BenchmarkLoopbackGroupCommit is the same with a handler that makes every
// batch wait for a simulated group commit of 1 ms (one sync covers every
// batch waiting when it starts), the shape of the daemon's store: the
// throughput comes from batches, not from goroutines.
func BenchmarkLoopbackGroupCommit(b *testing.B) {
	g := newGroupCommit(time.Millisecond)
	defer g.stop()
	h := newFakeHandler()
	h.hold = func(context.Context, []*upstreampb.Submit) { g.commit() }
	runLoopback(b, h, 1024)
}

func runLoopback(b *testing.B, h upstream.Handler, callersPerConn int) {
	ts := startServer(b, upstream.Config{}, h)
	const conns = 4
	clients := make([]*client.Client, conns)
	for i := range clients {
		opt := c1
		opt.Window = 4096
		clients[i] = dial(b, ts.addr, opt)
	}
	req := submitFrame(0, "bench").GetSubmit()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan struct{}, 4096)
	for _, c := range clients {
		for range callersPerConn {
			wg.Go(func() {
				for range work {
					resp, err := c.Submit(context.Background(), req)
					if err != nil || resp.Status != upstreampb.Status_OK {
						b.Errorf("submit: %v %v", resp, err)
						return
					}
				}
			})
		}
	}
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}

// groupCommit simulates a store that syncs everything pending at once.
type groupCommit struct {
	latency time.Duration
	kick    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	waiting []chan struct{}
}

func newGroupCommit(latency time.Duration) *groupCommit {
	g := &groupCommit{latency: latency, kick: make(chan struct{}, 1), done: make(chan struct{})}
	g.wg.Go(g.run)
	return g
}

func (g *groupCommit) run() {
	for {
		select {
		case <-g.kick:
		case <-g.done:
			return
		}
		g.mu.Lock()
		w := g.waiting
		g.waiting = nil
		g.mu.Unlock()
		time.Sleep(g.latency) // the simulated fsync
		for _, c := range w {
			close(c)
		}
	}
}

func (g *groupCommit) commit() {
	c := make(chan struct{})
	g.mu.Lock()
	g.waiting = append(g.waiting, c)
	g.mu.Unlock()
	select {
	case g.kick <- struct{}{}:
	default:
	}
	<-c
}

func (g *groupCommit) stop() {
	close(g.done)
	g.wg.Wait()
}
