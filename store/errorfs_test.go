package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/msgrelay/relay/relay/message"
)

// TestInjectedWriteErrorsReachTheCaller: once writes fail, Accept and
// transitions return errors (and keep returning them until the store is
// reopened); every write that returned nil survives the reopen.
func TestInjectedWriteErrorsReachTheCaller(t *testing.T) {
	mem := vfs.NewMem()
	toggle := &errorfs.Toggle{Injector: errorfs.ErrInjected.If(errorfs.Writes)}
	s, err := Open("db", Options{FS: errorfs.Wrap(mem, toggle), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acked := map[message.ID]message.State{}
	for i := range 10 {
		acked[mustAccept(t, s, sms("c1", fmt.Sprint(i)))] = message.StateAccepted
	}
	victim := mustAccept(t, s, sms("c1", "victim"))
	acked[victim] = message.StateAccepted

	toggle.On()
	failures := 0
	for i := range 5 {
		id, _, err := s.Accept(ctx, sms("c1", fmt.Sprint("during-", i)))
		if err == nil {
			acked[id] = message.StateAccepted
			continue
		}
		failures++
	}
	if err := s.MarkQueued(ctx, victim); err == nil {
		acked[victim] = message.StateQueued
	} else {
		failures++
	}
	if failures == 0 {
		t.Fatal("no write failed while every file write failed")
	}
	toggle.Off()
	// After a failed commit the store refuses writes rather than guess.
	if _, _, err := s.Accept(ctx, sms("c1", "after")); !errors.Is(err, ErrFailed) {
		t.Fatalf("write after a failed commit: %v, want ErrFailed", err)
	}
	s.Close()

	s, err = Open("db", Options{FS: mem, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, st := range acked {
		m, err := s.Get(id)
		if err != nil || m.State != st {
			t.Fatalf("acknowledged %s: %+v %v", id, m, err)
		}
	}
	mustVerify(t, s)
}

// TestInjectedReadErrorsReachTheCaller: a read that fails inside a write
// fails that write, and nothing is half-written.
func TestInjectedReadErrorsReachTheCaller(t *testing.T) {
	mem := vfs.NewMem()
	toggle := &errorfs.Toggle{Injector: errorfs.ErrInjected.If(errorfs.Reads)}
	s, err := Open("db", Options{FS: errorfs.Wrap(mem, toggle), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := mustAccept(t, s, sms("c1", "r"))
	// Push the record out of the memtable so reading it touches a file.
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	toggle.On()
	err = s.MarkQueued(context.Background(), id)
	toggle.Off()
	if err == nil {
		m, _ := s.Get(id)
		t.Skipf("read served from cache; state %s", m.State)
	}
	if !strings.Contains(err.Error(), "injected") {
		t.Fatalf("MarkQueued = %v, want the injected error", err)
	}
	m, err := s.Get(id)
	if err != nil || m.State != message.StateAccepted {
		t.Fatalf("after failed read: %+v %v", m, err)
	}
	mustVerify(t, s)
}

// TestRandomWALErrorsUnderLoad: concurrent writers, WAL writes failing at a
// random moment; every write that was acknowledged survives, the rest
// returned errors.
func TestRandomWALErrorsUnderLoad(t *testing.T) {
	for seed := range int64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			mem := vfs.NewMem()
			inj := errorfs.ErrInjected.If(errorfs.And(errorfs.Writes, errorfs.PathMatch("db/*.log"), errorfs.Randomly(0.02, seed)))
			s, err := Open("db", Options{FS: errorfs.Wrap(mem, inj), Logger: discardLogger()})
			if err != nil {
				t.Skipf("open failed under injection: %v", err)
			}
			l := &lifecycle{s: s, tick: make(chan struct{}, 1)}
			l.mu.acked = make(map[message.ID]message.State)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[w] = l.run(ctx, w)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err == nil {
					t.Fatal("a writer stopped without an error")
				}
			}
			s.Close()
			checkAcked(t, mem, l.snapshot())
		})
	}
}
