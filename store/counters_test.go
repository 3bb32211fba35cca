package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/msgrelay/relay/relay/message"
)

// Writes to the tables ops read back (records, counters, indexes) go into
// the batch once per key and group, with their last value, when the group
// is handed over; a range deletion later in the group still wins.
func TestReadTableWritesOncePerGroup(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	ids := make([]message.ID, 5)
	for i := range ids {
		ids[i] = mustAccept(t, s, sms("shop", string(rune('a'+i))))
	}
	deliver := func(w *writer, id message.ID) error {
		for _, to := range []message.State{message.StateQueued, message.StateSending, message.StateSent, message.StateDelivered} {
			r, err := w.load(id)
			if err != nil {
				return err
			}
			if err := w.move(r, to, nil); err != nil {
				return err
			}
		}
		return nil
	}
	readKeys := func(w *writer) (n int) {
		r := w.g.b.Reader()
		for {
			_, k, _, ok, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return n
			}
			if readTables[k[0]] {
				n++
			}
		}
	}
	entries := -1
	err := s.do(ctx, func(w *writer) error {
		for _, id := range ids[:3] {
			if err := deliver(w, id); err != nil {
				return err
			}
		}
		entries = readKeys(w)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	month := c.Now().Format("2006-01")
	counts, err := s.MonthCounts("shop", month)
	if err != nil || counts[message.ProductSMS] != 3 {
		t.Fatalf("after three deliveries in one group: %v, %v; want 3 SMS", counts, err)
	}
	if entries != 0 {
		t.Errorf("batch of three deliveries held %d writes to read tables before hand-over, want 0", entries)
	}
	for _, id := range ids[:3] {
		if m, err := s.Get(id); err != nil || m.State != message.StateDelivered {
			t.Fatalf("message %s moved four times in one group: %v, %v; want delivered", id, m.State, err)
		}
	}

	err = s.do(ctx, func(w *writer) error {
		for _, id := range ids[3:] {
			if err := deliver(w, id); err != nil {
				return err
			}
		}
		p := customerPrefix(tBill, "shop")
		return w.delRange(p, prefixEnd(p))
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, err = s.MonthCounts("shop", month)
	if err != nil || len(counts) != 0 {
		t.Fatalf("billing counters deleted after two more deliveries in the same group: %v, %v; want none", counts, err)
	}
	seq, err := s.Reports("shop", 0, 10)
	if err != nil || len(seq) != 5 || seq[4].Seq != 5 {
		t.Fatalf("outbox: %d reports, %v; want 5, the last with seq 5", len(seq), err)
	}
}

// OnReports names each customer that got reports, once per commit, after
// the commit; an aborted group names nobody.
func TestOnReportsAfterCommit(t *testing.T) {
	c := newClock()
	var mu sync.Mutex
	var named []string
	s, err := Open("db", Options{FS: vfs.NewMem(), Logger: discardLogger(), Now: c.Now, OnReports: func(customer string) {
		mu.Lock()
		named = append(named, customer)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var ids []message.ID
	for _, cust := range []string{"a", "a", "b"} {
		id := mustAccept(t, s, sms(cust, "r"+strconv.Itoa(len(ids))))
		toSent(t, s, id, "M"+strconv.Itoa(len(ids)), c.Now())
		ids = append(ids, id)
	}
	fail := errors.New("half-way")
	err = s.do(ctx, func(w *writer) error {
		r, err := w.load(ids[0])
		if err != nil {
			return err
		}
		if err := w.move(r, message.StateDelivered, nil); err != nil {
			return err
		}
		return fail // after writing: the group is aborted
	})
	if !errors.Is(err, fail) {
		t.Fatalf("aborted op: %v", err)
	}
	mu.Lock()
	if len(named) != 0 {
		t.Fatalf("named %v for an aborted group", named)
	}
	mu.Unlock()
	err = s.do(ctx, func(w *writer) error {
		for _, id := range ids {
			r, err := w.load(id)
			if err != nil {
				return err
			}
			if err := w.move(r, message.StateDelivered, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// OnReports runs after the writers are answered: wait for it.
	var got []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		got = slices.Clone(named)
		mu.Unlock()
		if len(got) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("named %v, want [a b]", got)
	}
}

// A group aborted after its ops counted leaves every counter as it was:
// the next final move counts from the stored values.
func TestCountersOfAnAbortedGroup(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a, b := mustAccept(t, s, sms("shop", "a")), mustAccept(t, s, sms("shop", "b"))
	fail := func(w *writer, id message.ID) error {
		r, err := w.load(id)
		if err != nil {
			return err
		}
		return w.move(r, message.StateFailed, func(m *message.Message) { m.Result.Code = "x" })
	}
	boom := errors.New("boom")
	err := s.do(ctx, func(w *writer) error {
		if err := fail(w, a); err != nil {
			return err
		}
		return boom // after writing: the group is aborted
	})
	if !errors.Is(err, boom) {
		t.Fatalf("aborted op: %v", err)
	}
	if err := s.do(ctx, func(w *writer) error { return fail(w, b) }); err != nil {
		t.Fatal(err)
	}
	reps, err := s.Reports("shop", 0, 10)
	if err != nil || len(reps) != 1 || reps[0].Seq != 1 || reps[0].ID != b {
		t.Fatalf("outbox after an aborted group: %+v, %v; want b's report as seq 1", reps, err)
	}
	mustVerify(t, s)
}
