package store

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// lifecycle drives message after message through accept → queued →
// sending → sent → delivered or failed, recording each acknowledged state.
type lifecycle struct {
	s  *Store
	mu struct {
		sync.Mutex
		acked map[message.ID]message.State
	}
	count atomic.Int64
	tick  chan struct{} // a non-blocking nudge per acknowledgement
}

func (l *lifecycle) ack(id message.ID, st message.State) {
	l.mu.Lock()
	l.mu.acked[id] = st
	l.mu.Unlock()
	l.count.Add(1)
	select {
	case l.tick <- struct{}{}:
	default:
	}
}

func (l *lifecycle) snapshot() map[message.ID]message.State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.mu.acked)
}

func (l *lifecycle) run(ctx context.Context, worker int) error {
	for i := 0; ctx.Err() == nil; i++ {
		ref := fmt.Sprint(worker, "-", i)
		id, _, err := l.s.Accept(ctx, sms(fmt.Sprint("c", i%3), ref))
		if err != nil {
			return err
		}
		l.ack(id, message.StateAccepted)
		if i%7 == 0 { // a resubmission, acknowledged as the first id
			again, dup, err := l.s.Accept(ctx, sms(fmt.Sprint("c", i%3), ref))
			if err != nil {
				return err
			}
			if !dup || again != id {
				return fmt.Errorf("resubmission of %s: %s dup=%v", ref, again, dup)
			}
			l.ack(id, message.StateAccepted)
		}
		steps := []struct {
			st message.State
			do func() error
		}{
			{message.StateQueued, func() error { return l.s.MarkQueued(ctx, id) }},
			{message.StateSending, func() error { return l.s.MarkSending(ctx, id, "skt") }},
			{message.StateSent, func() error {
				_, err := l.s.RecordSubmitResp(ctx, id, "skt", ref, time.Now())
				return err
			}},
			{message.StateDelivered, func() error {
				_, err := l.s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: ref, Delivered: i%4 != 0, Final: true})
				return err
			}},
		}
		for _, st := range steps[:i%(len(steps)+1)] {
			if err := st.do(); err != nil {
				return err
			}
			l.ack(id, st.st)
		}
	}
	return nil
}

// checkAcked opens a crashed copy and checks acknowledged ⊆ present, each at
// its acknowledged state or later, and every index consistent.
func checkAcked(t *testing.T, fs vfs.FS, acked map[message.ID]message.State) {
	t.Helper()
	s, err := Open("db", Options{FS: fs, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, st := range acked {
		m, err := s.Get(id)
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", id, err)
		}
		if m.State < st && !(st == message.StateDelivered && m.State == message.StateFailed) {
			t.Fatalf("%s is %s, acknowledged %s", id, m.State, st)
		}
	}
	if err := s.Verify(); err != nil {
		t.Fatalf("half-applied state after crash: %v", err)
	}
}

func TestCrashKeepsAcknowledged(t *testing.T) {
	mem := vfs.NewCrashableMem()
	s := openTest(t, mem, nil)
	l := &lifecycle{s: s, tick: make(chan struct{}, 1)}
	l.mu.acked = make(map[message.ID]message.State)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.run(ctx, w); err != nil && ctx.Err() == nil {
				t.Error(err)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	type crash struct {
		fs    vfs.FS
		acked map[message.ID]message.State
	}
	var crashes []crash
	deadline := time.Now().Add(20 * time.Second)
	for range 25 {
		target := l.count.Load() + 1 + int64(rng.IntN(300))
		for l.count.Load() < target {
			select {
			case <-l.tick:
			case <-time.After(time.Until(deadline)):
				t.Fatal("workload stalled")
			}
		}
		acked := l.snapshot() // acknowledged before the crash below
		fs := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(101), RNG: rng})
		crashes = append(crashes, crash{fs, acked})
	}
	cancel()
	wg.Wait()
	s.Close()
	for i, c := range crashes {
		t.Run(fmt.Sprint("crash", i), func(t *testing.T) { checkAcked(t, c.fs, c.acked) })
	}
	t.Logf("%d crashes, %d acknowledged writes in the last", len(crashes), len(crashes[len(crashes)-1].acked))
}
