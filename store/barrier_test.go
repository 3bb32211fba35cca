package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// gate holds whoever passes it while it is shut.
type gate struct {
	mu   sync.Mutex
	open chan struct{} // closed while the gate is open
}

func (g *gate) shut() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
}

func (g *gate) release() {
	g.mu.Lock()
	close(g.open)
	g.mu.Unlock()
}

func (g *gate) pass() {
	g.mu.Lock()
	ch := g.open
	g.mu.Unlock()
	<-ch
}

// Reports hands out only reports whose write is synced: Pebble shows a
// write before its sync completes, and a report that leaves the relay
// must not be lost by a crash.
func TestReportsWaitForTheirSync(t *testing.T) {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	c := newClock()
	s, err := Open("db", Options{FS: walSyncFS{FS: vfs.NewMem(), onSync: g.pass}, Logger: discardLogger(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "r1"))
	toSent(t, s, id, "M1", c.Now())

	g.shut()
	applied := make(chan error, 1)
	go func() {
		_, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "M1", Delivered: true, Final: true})
		applied <- err
	}()
	// Wait until the report is visible in Pebble, its sync still held.
	key := outboxKey("c1", 1)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, closer, err := s.db.Get(key); err == nil {
			closer.Close()
			break
		}
		if time.Now().After(deadline) {
			g.release()
			t.Skip("Pebble did not show the write before its sync; nothing to wait for")
		}
		time.Sleep(time.Millisecond)
	}
	got := make(chan int, 1)
	go func() {
		reps, err := s.Reports("c1", 0, 10)
		if err != nil {
			t.Error(err)
		}
		got <- len(reps)
	}()
	select {
	case n := <-got:
		g.release()
		t.Fatalf("Reports returned %d reports while their sync was held", n)
	case <-time.After(100 * time.Millisecond):
	}
	g.release()
	if n := <-got; n != 1 {
		t.Fatalf("after the sync: %d reports, want 1", n)
	}
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
}
