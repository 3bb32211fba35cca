package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// dueKeys lists the ids in the due table, in key order.
func dueKeys(t *testing.T, s *Store) []message.ID {
	t.Helper()
	ids, err := s.tableIDs(tDue)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// reopenCrashed opens a crashed copy of mem: the store was never closed.
func reopenCrashed(t *testing.T, mem *vfs.MemFS, c *clock, rng *rand.Rand) *Store {
	t.Helper()
	fs := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(101), RNG: rng})
	return openTest(t, fs, c)
}

// A crash takes the due window: the messages accepted in the last
// DueDelay that are still open have no due key yet. The store reopened
// without Close gives them their keys, Recover hands them over, and
// ExpireDue expires them at their deadline, not before.
func TestDueWindowCrash(t *testing.T) {
	c := newClock()
	mem := vfs.NewCrashableMem()
	s := openTest(t, mem, c)
	ctx := context.Background()
	var open, final []message.ID
	// Some old enough to have their keys written, then some in the window.
	for i := range 40 {
		if i == 20 {
			c.Add(2 * DefaultDueDelay)
			mustAccept(t, s, sms("c0", "flush")) // its group writes the keys of the first 20
			final = append(final, mustAccept(t, s, sms("c0", "flush2")))
			if err := s.Fail(ctx, final[len(final)-1], message.Result{Code: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		id := mustAccept(t, s, sms("c1", fmt.Sprint("r", i)))
		switch i % 3 {
		case 0:
			open = append(open, id)
		case 1:
			toSending(t, s, id)
			open = append(open, id)
		case 2:
			if err := s.Fail(ctx, id, message.Result{Code: "x"}); err != nil {
				t.Fatal(err)
			}
			final = append(final, id)
		}
	}
	if n := len(dueKeys(t, s)); n == 0 || n >= len(open) {
		t.Fatalf("%d due keys before the crash: want the old ones only, not all %d open", n, len(open))
	}
	mustVerify(t, s)
	rng := rand.New(rand.NewPCG(1, 2))
	s2 := reopenCrashed(t, mem, c, rng)
	s.Close()
	defer s2.Close()
	mustVerify(t, s2) // with no window left: every open message has its key
	var recovered []message.ID
	st, err := s2.Recover(func(m *message.Message) error {
		recovered = append(recovered, m.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := map[message.ID]bool{}
	for _, id := range recovered {
		all[id] = true
	}
	for _, id := range open {
		if !all[id] {
			t.Errorf("open message %s not recovered", id)
		}
	}
	for _, id := range final {
		if all[id] {
			t.Errorf("final message %s recovered", id)
		}
	}
	if st.Open != len(open)+1 { // and the first "flush"
		t.Errorf("recovered %d, want %d", st.Open, len(open)+1)
	}
	if ids, err := s2.ExpireDue(ctx, c.Now().Add(DefaultValidity-3*DefaultDueDelay), 1000); err != nil || len(ids) != 0 {
		t.Fatalf("expired before the deadline: %v %v", ids, err)
	}
	ids, err := s2.ExpireDue(ctx, c.Now().Add(DefaultValidity), 1000)
	if err != nil || len(ids) != len(open)+1 {
		t.Fatalf("expired %d (%v), want %d", len(ids), err, len(open)+1)
	}
	if keys := dueKeys(t, s2); len(keys) != 0 {
		t.Errorf("due keys left after expiry: %v", keys)
	}
	mustVerify(t, s2)
}

// A message whose deadline comes before the window would write its key
// gets it at acceptance; one in the window is expired from the window at
// its deadline, its key never written.
func TestDueWindowShortValidity(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	short := sms("c1", "short")
	short.Deadline = c.Now().Add(DefaultDueDelay)
	sid := mustAccept(t, s, short)
	if keys := dueKeys(t, s); !slices.Equal(keys, []message.ID{sid}) {
		t.Fatalf("due keys after a short acceptance: %v", keys)
	}
	mid := sms("c1", "mid")
	mid.Deadline = c.Now().Add(10 * DefaultDueDelay)
	mID := mustAccept(t, s, mid)
	if keys := dueKeys(t, s); len(keys) != 1 {
		t.Fatalf("due keys: %v", keys)
	}
	for _, step := range []struct {
		at   time.Duration
		want []message.ID
	}{
		{DefaultDueDelay - time.Millisecond, nil},
		{DefaultDueDelay, []message.ID{sid}},
		{10*DefaultDueDelay - time.Millisecond, nil},
		{10 * DefaultDueDelay, []message.ID{mID}},
	} {
		// The clock stands still: no group writes mid's key on its own.
		ids, err := s.ExpireDue(ctx, c.Now().Add(step.at), 100)
		if err != nil || !slices.Equal(ids, step.want) {
			t.Fatalf("at +%v expired %v (%v), want %v", step.at, ids, err, step.want)
		}
	}
	if keys := dueKeys(t, s); len(keys) != 0 {
		t.Errorf("due keys left: %v", keys)
	}
	mustVerify(t, s)
}

// A message open after DueDelay gets its key in a later group and loses
// it with SingleDelete when final, as without the window; the watermark
// follows at most once a DueDelay.
func TestDueWindowWritesLateKeys(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	counted := entryCounter{}
	s.committing = func(b *pebble.Batch) { counted.count(t, b) }
	id := mustAccept(t, s, sms("c1", "a"))
	if counted["05 set"] != 0 || counted["0f set"] != 0 {
		t.Fatalf("at acceptance:\n%v", counted)
	}
	c.Add(DefaultDueDelay)
	other := mustAccept(t, s, sms("c1", "b"))
	if counted["05 set"] != 1 || counted["0f set"] != 1 {
		t.Fatalf("after DueDelay:\n%v", counted)
	}
	if keys := dueKeys(t, s); !slices.Equal(keys, []message.ID{id}) {
		t.Fatalf("due keys: %v", keys)
	}
	mustVerify(t, s)
	for _, id := range []message.ID{id, other} {
		if err := s.Fail(ctx, id, message.Result{Code: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if counted["05 singledel"] != 1 || counted["05 delete"] != 0 || counted["05 set"] != 1 {
		t.Fatalf("after both final:\n%v", counted)
	}
	c.Add(DefaultDueDelay)
	mustAccept(t, s, sms("c1", "c"))
	if counted["05 set"] != 1 {
		t.Fatalf("a final message's key written:\n%v", counted)
	}
	if keys := dueKeys(t, s); len(keys) != 0 {
		t.Fatalf("due keys: %v", keys)
	}
	mustVerify(t, s)
}

// A group that aborts undoes what its moves did to the window: a message
// it made final is open again, and gets its key when DueDelay has passed.
func TestDueWindowAbort(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "a"))
	boom := errors.New("boom")
	err := s.do(ctx, func(w *writer) error {
		r, err := w.load(id)
		if err != nil {
			return err
		}
		if err := w.move(r, message.StateFailed, nil); err != nil {
			return err
		}
		return boom // after writing: the group aborts
	})
	if !errors.Is(err, boom) {
		t.Fatalf("aborted op: %v", err)
	}
	if m, err := s.Get(id); err != nil || m.State != message.StateAccepted {
		t.Fatalf("after the abort: %+v %v", m, err)
	}
	c.Add(DefaultDueDelay)
	mustAccept(t, s, sms("c1", "b"))
	if keys := dueKeys(t, s); !slices.Equal(keys, []message.ID{id}) {
		t.Fatalf("due keys: %v", keys)
	}
	mustVerify(t, s)
	var got []message.ID
	if _, err := s.Recover(func(m *message.Message) error { got = append(got, m.ID); return nil }); err != nil || len(got) != 2 {
		t.Fatalf("recovered %v %v", got, err)
	}
}

// A random life of messages with an injected clock: acceptances with long
// and short validity, moves, final results, the clock moving by less and
// more than DueDelay, expiry scans, and crashes. After each step the
// store's open messages (Recover, OpenSummary, the expiry) are the
// model's, and Verify holds.
func TestDueWindowModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)
	c := newClock()
	mem := vfs.NewCrashableMem()
	s := openTest(t, mem, c)
	defer func() { s.Close() }()
	ctx := context.Background()
	type state struct {
		deadline time.Time
		sending  bool
	}
	model := map[message.ID]*state{} // the open messages
	n := 0
	check := func(step int) {
		t.Helper()
		if err := s.Verify(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		sum, err := s.OpenSummary(c.Now(), 1<<20)
		if err != nil || sum.Total != len(model) {
			t.Fatalf("step %d: open summary %d (%v), model %d", step, sum.Total, err, len(model))
		}
	}
	for step := range 400 {
		switch r := rng.IntN(20); {
		case r < 8:
			m := sms(fmt.Sprint("c", rng.IntN(3)), fmt.Sprint("r", n))
			n++
			if rng.IntN(4) == 0 {
				m.Deadline = c.Now().Add(time.Duration(rng.IntN(20)) * time.Second)
			}
			id := mustAccept(t, s, m)
			got, err := s.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			model[id] = &state{deadline: got.Deadline}
		case r < 14 && len(model) > 0:
			ids := slices.Sorted(maps.Keys(model))
			id := ids[rng.IntN(len(ids))]
			if rng.IntN(2) == 0 && !model[id].sending {
				toSending(t, s, id)
				model[id].sending = true
				break
			}
			if err := s.Fail(ctx, id, message.Result{Code: "x"}); err != nil {
				t.Fatal(err)
			}
			delete(model, id)
		case r < 17:
			c.Add(time.Duration(rng.IntN(int(2*DefaultDueDelay/time.Millisecond))) * time.Millisecond)
		case r < 19:
			ids, err := s.ExpireDue(ctx, c.Now(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			var want []message.ID
			for id, st := range model {
				if !st.deadline.After(c.Now()) {
					want = append(want, id)
					delete(model, id)
				}
			}
			slices.Sort(want)
			slices.Sort(ids)
			if !slices.Equal(ids, want) {
				t.Fatalf("step %d: expired %v, want %v", step, ids, want)
			}
		default:
			crashed := reopenCrashed(t, mem, c, rng)
			s.Close()
			s = crashed
			got := map[message.ID]bool{}
			if _, err := s.Recover(func(m *message.Message) error { got[m.ID] = true; return nil }); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, maps.Collect(func(yield func(message.ID, bool) bool) {
				for id := range model {
					if !yield(id, true) {
						return
					}
				}
			})) {
				t.Fatalf("step %d: recovered %d, model %d open", step, len(got), len(model))
			}
			mem = crashed.opts.FS.(*vfs.MemFS)
		}
		check(step)
	}
}

// Purges of messages made final inside the window leave nothing of them
// in the window or the due table: the window drops a final entry, and the
// purge rewrites only the record.
func TestDueWindowPurge(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	counted := entryCounter{}
	s.committing = func(b *pebble.Batch) { counted.count(t, b) }
	var ids []message.ID
	for i := range 4 {
		id := mustAccept(t, s, sms(fmt.Sprint("c", i%2), fmt.Sprint("r", i)))
		if err := s.Fail(ctx, id, message.Result{Code: "x"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	open := mustAccept(t, s, sms("c0", "open"))
	if n, _, err := s.PurgeCustomer(ctx, "c1"); err != nil || n != 2 {
		t.Fatalf("purge customer: %d %v", n, err)
	}
	if n, err := s.PurgeBefore(ctx, c.Now().Add(time.Millisecond)); err != nil || n != 2 {
		t.Fatalf("purge before: %d %v", n, err)
	}
	for _, id := range ids {
		if m, err := s.Get(id); err != nil || m.Recipient != "" {
			t.Fatalf("message %s not purged: %+v %v", id, m, err)
		}
	}
	mustVerify(t, s)
	c.Add(DefaultDueDelay)
	mustAccept(t, s, sms("c0", "later"))
	if keys := dueKeys(t, s); !slices.Equal(keys, []message.ID{open}) {
		t.Fatalf("due keys: %v, want only %s", keys, open)
	}
	if counted["05 set"] != 1 || counted["05 singledel"]+counted["05 delete"] != 0 {
		t.Errorf("due entries:\n%v", counted)
	}
	if n := len(s.win.e) - s.win.head; n != 2 { // "open", flushed, and "later"
		t.Errorf("window holds %d entries, want 2", n)
	}
	mustVerify(t, s)
}
