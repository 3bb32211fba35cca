package client_test

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/upstream/upstreamtest"
)

// gate is a listener that closes every connection until opened, then
// forwards each to target: a relay node that is down, then up, at one
// address.
type gate struct {
	ln     net.Listener
	target string
	open   atomic.Bool
	wg     sync.WaitGroup
}

func newGate(t *testing.T, target string) *gate {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, target: target}
	g.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			if !g.open.Load() {
				nc.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				nc.Close()
				continue
			}
			g.wg.Go(func() { io.Copy(up, nc); up.Close() })
			g.wg.Go(func() { io.Copy(nc, up); nc.Close() })
		}
	})
	return g
}

func (g *gate) close() { g.ln.Close(); g.wg.Wait() }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMultiSpreadsAndRedials: a Multi over two nodes sends submits to
// both; when one stops, every submit goes to the other; a node that was
// down at the start is dialled until it is up, then takes its share.
func TestMultiSpreadsAndRedials(t *testing.T) {
	a := upstreamtest.NewServer(upstream.Config{}, nil)
	b := upstreamtest.NewServer(upstream.Config{}, nil)
	defer b.Close()
	c := upstreamtest.NewServer(upstream.Config{}, nil)
	defer c.Close()
	g := newGate(t, c.Addr)
	defer g.close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := client.DialMulti(ctx, a.Addr+", "+b.Addr+","+g.ln.Addr().String(),
		client.Options{Customer: "test", Secret: "test-secret", PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n := m.Live(); n != 2 {
		t.Fatalf("%d live at the start, want 2 (the third is down)", n)
	}
	submit := func(n int) {
		t.Helper()
		for i := range n {
			r, err := m.Submit(ctx, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Sender: "0212345678",
				Recipient: "01012345678", Text: "hi", ClientRef: time.Now().Format(time.RFC3339Nano) + string(rune('a'+i%26))})
			if err != nil || r.Status != upstreampb.Status_OK {
				t.Fatalf("submit %d: %v %v", i, r, err)
			}
		}
	}
	submit(10)
	na, nb := len(a.Handler.Accepted()), len(b.Handler.Accepted())
	if na == 0 || nb == 0 || na+nb != 10 {
		t.Fatalf("accepted %d and %d, want both nodes used", na, nb)
	}

	a.Close()
	waitFor(t, "the stopped node's connection seen down", func() bool { return m.Live() == 1 })
	submit(10)
	if n := len(b.Handler.Accepted()); n != nb+10 {
		t.Fatalf("the live node accepted %d more, want 10", n-nb)
	}

	g.open.Store(true)
	waitFor(t, "the third node dialled again", func() bool { return m.Live() == 2 })
	submit(10)
	if len(c.Handler.Accepted()) == 0 {
		t.Fatal("the node that came up took no submit")
	}
}
