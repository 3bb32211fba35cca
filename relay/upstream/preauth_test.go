package upstream_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
)

// dialFrom opens a TCP connection from the loopback address local (any
// 127.0.0.0/8 address is a distinct source on Linux).
func dialFrom(ctx context.Context, local, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return d.DialContext(ctx, "tcp", addr)
}

// bindFrom binds opt from local and returns the client, or the error.
func bindFrom(local, addr string, opt client.Options) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := dialFrom(ctx, local, addr)
	if err != nil {
		return nil, err
	}
	c, err := client.New(ctx, nc, opt)
	if err != nil {
		nc.Close()
	}
	return c, err
}

// flood holds up to n connections from 127.0.0.1 that never bind, and
// reopens each as soon as it is closed, until stop.
func flood(addr string, n int, stop <-chan struct{}) (opened *atomic.Int64, wait func()) {
	opened = new(atomic.Int64)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			buf := make([]byte, 64)
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				nc, err := dialFrom(ctx, "127.0.0.1", addr)
				cancel()
				if err != nil {
					continue
				}
				opened.Add(1)
				go func() { <-stop; nc.Close() }()
				for { // hold it until the server closes it
					if _, err := nc.Read(buf); err != nil {
						break
					}
				}
				nc.Close()
			}
		})
	}
	return opened, wg.Wait
}

// Attack 1: connections that never bind, from one source, reopened without
// pause, must not keep another source's customer from binding.
func TestPreAuthFloodDoesNotStarveBinds(t *testing.T) {
	const floodConns, binds = 20, 100
	ts := startServer(t, upstream.Config{MaxConns: 10, BindTimeout: time.Second}, newFakeHandler())
	stop := make(chan struct{})
	opened, wait := flood(ts.addr, floodConns, stop)
	defer wait()
	defer close(stop)
	waitFor(t, 30*time.Second, "the flood to open connections", func() bool { return opened.Load() >= floodConns })
	ok := 0
	var lastErr error
	for range binds {
		c, err := bindFrom("127.0.0.2", ts.addr, c1)
		if err != nil {
			lastErr = err
			continue
		}
		ok++
		c.Close()
	}
	if ok != binds {
		t.Fatalf("%d of %d binds from another source succeeded under the flood; last error: %v", ok, binds, lastErr)
	}
	if p := ts.metric(`relay_upstream_connections_pending{server="upstream"}`); p == "" {
		t.Fatal("no pending-connections gauge")
	}
}

// A source holds at most MaxPendingPerSource unbound connections; the rest
// are closed at accept and counted.
func TestPendingCappedPerSource(t *testing.T) {
	ts := startServer(t, upstream.Config{MaxPendingPerSource: 4, BindTimeout: 5 * time.Second}, newFakeHandler())
	var conns []net.Conn
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	for range 10 {
		nc, err := dialFrom(context.Background(), "127.0.0.1", ts.addr)
		if err != nil {
			continue // reset at accept before connect returned
		}
		conns = append(conns, nc)
	}
	waitFor(t, 30*time.Second, "excess connections refused", func() bool {
		return strings.HasSuffix(ts.metric(`relay_upstream_connections_refused_total{server="upstream",reason="pending_per_source"}`), " 6")
	})
	if n := ts.NumConns(); n != 4 {
		t.Fatalf("%d connections held, want 4", n)
	}
	// Another source still gets in, and binds.
	c, err := bindFrom("127.0.0.2", ts.addr, c1)
	if err != nil {
		t.Fatalf("bind from another source: %v", err)
	}
	c.Close()
}

// Attack 2a: wrong secrets for one customer from an address never refuse
// another customer's right secret from that address.
func TestWrongSecretsDoNotLockOutAnotherCustomer(t *testing.T) {
	h := newFakeHandler()
	ts := startServer(t, upstream.Config{}, h)
	for range 10 {
		_, err := bindFrom("127.0.0.1", ts.addr, client.Options{Customer: "c1", Secret: "wrong", PingInterval: -1})
		if !errors.Is(err, client.ErrRefused) {
			t.Fatalf("wrong secret: %v", err)
		}
	}
	c, err := bindFrom("127.0.0.1", ts.addr, client.Options{Customer: "c2", Secret: "other-secret", PingInterval: -1})
	if err != nil {
		t.Fatalf("c2's right secret refused after c1's wrong ones: %v", err)
	}
	c.Close()
}

// Attack 2b: wrong guesses at one customer from 100 addresses are throttled.
func TestGuessesFromManyAddressesThrottled(t *testing.T) {
	h := newFakeHandler()
	frozen := time.Now()
	ts := startServer(t, upstream.Config{Auth: authguard.Config{CheckBurst: 100, Now: func() time.Time { return frozen }}}, h)
	// c1 bound from its usual address before the attack.
	c, err := bindFrom("127.0.0.2", ts.addr, c1)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	before := h.auths.Load()
	for i := range 500 {
		local := "127.0.1." + strconv.Itoa(1+i%100)
		_, err := bindFrom(local, ts.addr, client.Options{Customer: "c1", Secret: "guess", PingInterval: -1})
		if !errors.Is(err, client.ErrRefused) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if n := h.auths.Load() - before; n > 20 {
		t.Fatalf("%d of 500 guesses from 100 addresses reached the secret check", n)
	}
	c, err = bindFrom("127.0.0.2", ts.addr, c1)
	if err != nil {
		t.Fatalf("c1 from its usual address during the attack: %v", err)
	}
	c.Close()
}

// Attack 5: a wrong secret with a 60,000-byte client name does not put the
// name in the log, and one source's flood of refusals does not hide
// another source's.
func TestBindRefusalLogsBounded(t *testing.T) {
	ts := startServer(t, upstream.Config{}, newFakeHandler())
	long := strings.Repeat("N", 60000)
	for range 200 {
		_, _ = bindFrom("127.0.0.1", ts.addr, client.Options{Customer: "c1", Secret: "wrong", ClientName: long, PingInterval: -1})
	}
	_, _ = bindFrom("127.0.0.3", ts.addr, client.Options{Customer: "c2", Secret: "wrong-too", PingInterval: -1})
	logs := ts.logs.String()
	if len(logs) > 64<<10 {
		t.Fatalf("200 refused binds wrote %d bytes of log", len(logs))
	}
	if !strings.Contains(logs, "remote=127.0.0.3") {
		t.Fatalf("the other source's refusal is not logged")
	}
	if m := ts.metric(`relay_log_lines_suppressed_total{component="upstream",event="bind_refused"}`); m == "" || strings.HasSuffix(m, " 0") {
		t.Fatalf("suppressed lines not counted: %q", m)
	}
}

// BenchmarkPendingConnMemory states what one connection that has not bound
// costs the server (heap and goroutine stacks, both ends in this process:
// the client side is one socket and no goroutine).
func BenchmarkPendingConnMemory(b *testing.B) {
	const n = 1000
	ts := startServer(b, upstream.Config{MaxPending: n, MaxPendingPerSource: n, BindTimeout: time.Minute}, newFakeHandler())
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		conns := make([]net.Conn, 0, n)
		for range n {
			nc, err := net.Dial("tcp", ts.addr)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, nc)
		}
		waitFor(b, 30*time.Second, "all pending", func() bool { return ts.NumConns() == n })
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := (int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / n
		b.ReportMetric(float64(per), "bytes/pending")
		for _, nc := range conns {
			nc.Close()
		}
		waitFor(b, 30*time.Second, "all closed", func() bool { return ts.NumConns() == 0 })
	}
}
