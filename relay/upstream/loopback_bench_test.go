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
	ts := startServer(b, upstream.Config{}, newFakeHandler())
	const conns, perConn = 4, 256 // 256 callers per connection keep its window full
	clients := make([]*client.Client, conns)
	for i := range clients {
		opt := c1
		opt.Window = 1024
		clients[i] = dial(b, ts.addr, opt)
	}
	req := submitFrame(0, "bench").GetSubmit()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan struct{}, 4096)
	for _, c := range clients {
		for range perConn {
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
