package store

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// gatherStore is a Store with no loops running: the test plays the builder
// and calls gather itself.
func gatherStore(opts Options) *Store {
	return &Store{ops: make(chan *op), opts: opts, m: newStoreMetrics(metrics.NewSet()), now: time.Now}
}

// senders starts n goroutines, each about to send one op to the builder;
// the returned wait drains and waits for them.
func senders(s *Store, n int) (wait func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { s.ops <- &op{fn: func(*writer) error { return nil }, done: make(chan error, 1)} })
	}
	// Every sender is parked in its send before the test goes on: gather
	// takes what is on its way, and a sender not yet running is not.
	for end := time.Now().Add(10 * time.Second); parkedSenders() < n && time.Now().Before(end); {
		runtime.Gosched()
	}
	return func() {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for {
			select {
			case <-s.ops:
			case <-done:
				return
			}
		}
	}
}

// parkedSenders counts the senders goroutines blocked in their send.
func parkedSenders() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[chan send") && strings.Contains(g, "store.senders.func") {
			n++
		}
	}
	return n
}

// oneProc runs the test on one processor, so that a yield runs every
// goroutine that is ready before the yielding one resumes.
func oneProc(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// A group about to be handed over takes the ops whose callers are ready to
// send them, and no more than a group holds.
func TestGatherTakesTheOpsOnTheirWay(t *testing.T) {
	oneProc(t)
	for _, tc := range []struct{ senders, maxGroup, want int }{
		{20, 1024, 20},
		{20, 5, 5},
		{0, 1024, 0},
	} {
		t.Run(fmt.Sprint(tc.senders, "/", tc.maxGroup), func(t *testing.T) {
			s := gatherStore(Options{MaxGroup: tc.maxGroup, CommitDelay: time.Hour})
			wait := senders(s, tc.senders)
			g := &group{}
			s.gather(g) // with nothing on its way it returns at once, whatever the delay
			wait()
			if len(g.ops) != tc.want {
				t.Fatalf("group took %d ops of %d ready senders (MaxGroup %d), want %d",
					len(g.ops), tc.senders, tc.maxGroup, tc.want)
			}
		})
	}
}

// A negative CommitDelay turns gathering off: the ops stay with their
// senders for the next group.
func TestGatherOff(t *testing.T) {
	oneProc(t)
	s := gatherStore(Options{MaxGroup: 1024, CommitDelay: -1})
	wait := senders(s, 10)
	g := &group{}
	s.gather(g)
	wait()
	if len(g.ops) != 0 || s.m.gathered.Get() != 0 {
		t.Fatalf("gathering off: group took %d ops, %d gathers", len(g.ops), s.m.gathered.Get())
	}
}

// A lone writer, one op at a time, never waits for company.
func TestLoneWriterIsNotGathered(t *testing.T) {
	s := openTest(t, nil, newClock())
	defer s.Close()
	for i := range 50 {
		id := mustAccept(t, s, sms("c1", fmt.Sprint(i)))
		if err := s.MarkQueued(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.m.gathered.Get(); n != 0 {
		t.Fatalf("a lone writer's groups waited %d times", n)
	}
}

// Many writers at once: their groups gather, and every write is answered
// once, synced.
func TestBusyWritersAreGathered(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers, each = 64, 30
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, _, err := s.Accept(context.Background(), sms("c1", fmt.Sprint(w, "-", i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := s.m.accepted.Get(); got != writers*each {
		t.Fatalf("accepted %d, want %d", got, writers*each)
	}
	if s.m.gathered.Get() == 0 {
		t.Fatalf("%d writers at once, %d commits, none gathered", writers, s.m.commits.Get())
	}
}
