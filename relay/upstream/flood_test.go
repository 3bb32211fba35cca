package upstream_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestUnauthenticatedFlood: connections that never bind are all closed by
// the bind deadline, and the server holds none of them afterwards.
func TestUnauthenticatedFlood(t *testing.T) {
	const n = 300
	ts := startServer(t, upstream.Config{BindTimeout: 300 * time.Millisecond, MaxPendingPerSource: n}, newFakeHandler())
	conns := make([]net.Conn, 0, n)
	for range n {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		conns = append(conns, nc)
	}
	waitFor(t, 30*time.Second, "server to see the flood", func() bool { return ts.NumConns() > 0 })
	waitFor(t, 30*time.Second, "all unbound connections closed", func() bool { return ts.NumConns() == 0 })
	// And from the client's side, each one sees the close.
	buf := make([]byte, 1)
	for _, nc := range conns {
		nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := nc.Read(buf); err == nil {
			t.Fatal("read data from an unbound connection")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("unbound connection still open")
		}
	}
}

// TestIdleConnectionsMemory: bound idle connections cost the server a small,
// bounded amount of memory and no submit workers.
func TestIdleConnectionsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections")
	}
	const n = 1000
	ts := startServer(t, upstream.Config{MaxConnsPerCustomer: n, MaxPendingPerSource: n, Auth: authguard.Config{CheckRate: 1e6, CheckBurst: n}}, newFakeHandler())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	raws := make([]*rawConn, n)
	for i := range raws {
		raws[i] = dialRaw(t, ts.addr)
		raws[i].send(&upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{
			Customer: "c1", Secret: "right-secret", Version: upstream.Version}}})
	}
	for _, r := range raws {
		// dialRaw's deadline counts from the dial; a thousand binds on a
		// busy machine may take longer, and this test measures memory.
		r.nc.SetDeadline(time.Now().Add(2 * time.Minute))
		if resp := r.read().GetBindResp(); resp == nil || resp.Status != upstreampb.Status_OK {
			t.Fatalf("bind: %v", resp)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perConn := (int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / n
	perConnG := float64(runtime.NumGoroutine()-g0) / n
	t.Logf("per bound idle connection (both ends): %d bytes, %.1f goroutines", perConn, perConnG)
	// Reader, writer and report pusher on the server; no workers while idle.
	if perConnG > 3.5 {
		t.Errorf("%.1f goroutines per idle connection", perConnG)
	}
	if perConn > 64<<10 {
		t.Errorf("%d bytes per idle connection", perConn)
	}
}
