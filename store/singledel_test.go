package store

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// Open and due keys are removed with SingleDelete. Each is set once per
// removal, also when a Kakao leg falls back to SMS and the message waits
// for a result again under the same deadline; nothing may come back after
// the set and its removal land in different tables and are compacted.
func TestOpenAndDueKeysStayRemoved(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "r1"))
	flush := func() {
		t.Helper()
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	sentAt := c.Now()
	steps := []struct {
		to     message.State
		mutate func(*message.Message)
	}{
		{message.StateQueued, nil},
		{message.StateKakaoSending, nil},
		{message.StateKakaoSent, func(m *message.Message) { m.SentAt = sentAt }},
		{message.StateQueued, nil}, // fallback: the due key goes
		{message.StateSending, nil},
		{message.StateSent, func(m *message.Message) { m.Carrier, m.CarrierMsgID = "skt", "M1" }}, // the same due key again
		{message.StateDelivered, nil},
	}
	for _, st := range steps {
		flush()
		if err := s.Transition(ctx, id, st.to, st.mutate); err != nil {
			t.Fatalf("to %s: %v", st.to, err)
		}
	}
	flush()
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	for _, table := range []byte{tOpen, tDue} {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{table}, UpperBound: []byte{table + 1}})
		if err != nil {
			t.Fatal(err)
		}
		for ok := it.First(); ok; ok = it.Next() {
			t.Errorf("table %#x still holds %x after delivery and compaction", table, it.Key())
		}
		it.Close()
	}
	st, err := s.Recover(func(m *message.Message) error {
		t.Errorf("recovered delivered message %s", m.ID)
		return nil
	})
	if err != nil || st.Open != 0 {
		t.Fatalf("recover: %+v, %v", st, err)
	}
}

// An acknowledged report goes with SingleDelete: acknowledged twice, and
// once before it was written, nothing comes back after the set and its
// removals meet in a flush or compaction.
func TestAckedReportsStayRemoved(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	flush := func() {
		t.Helper()
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AckReports(ctx, "c1", 1); err != nil { // not written yet
		t.Fatal(err)
	}
	flush()
	for _, ref := range []string{"a", "b"} {
		id := mustAccept(t, s, sms("c1", ref))
		toSent(t, s, id, "M"+ref, c.Now())
		if err := s.Deliver(ctx, id, delivrd, c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	rs, err := s.Reports("c1", 0, 10)
	if err != nil || len(rs) != 2 || rs[0].Seq != 1 {
		t.Fatalf("reports: %+v %v", rs, err)
	}
	for range 2 {
		if err := s.AckReports(ctx, "c1", rs[0].Seq, rs[1].Seq); err != nil {
			t.Fatal(err)
		}
		flush()
	}
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	if rs, err := s.Reports("c1", 0, 10); err != nil || len(rs) != 0 {
		t.Fatalf("reports after acknowledgement and compaction: %+v %v", rs, err)
	}
	mustVerify(t, s)
}

// A store written by a release that kept the open table: Recover gives
// back its open messages, and removes every open entry, of open and of
// final messages, for good.
func TestRecoverRemovesOpenEntries(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	ctx := context.Background()
	open := mustAccept(t, s, sms("c1", "a"))
	done := mustAccept(t, s, sms("c1", "b"))
	toSent(t, s, done, "B", c.Now())
	legacyDone := mustAccept(t, s, sms("c1", "c"))
	// What the earlier release wrote: an open entry at acceptance, removed
	// when the message became final.
	for _, id := range []message.ID{open, done, legacyDone} {
		if err := s.db.Set(openKey(id), nil, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Deliver(ctx, done, delivrd, c.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.db.SingleDelete(openKey(done), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	// One final without its open entry's removal (this release's move).
	if err := s.Fail(ctx, legacyDone, message.Result{Source: message.SourceRelay, Code: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	for round := range 2 {
		s = openTest(t, fs, c)
		var got []message.ID
		st, err := s.Recover(func(m *message.Message) error {
			got = append(got, m.ID)
			return nil
		})
		if err != nil || st.Open != 1 || len(got) != 1 || got[0] != open {
			t.Fatalf("round %d: recovered %v (%+v), %v; want only %s", round, got, st, err, open)
		}
		mustVerify(t, s)
		if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, true); err != nil {
			t.Fatal(err)
		}
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tOpen}, UpperBound: []byte{tOpen + 1}})
		if err != nil {
			t.Fatal(err)
		}
		for ok := it.First(); ok; ok = it.Next() {
			t.Errorf("round %d: open entry %x left", round, it.Key())
		}
		it.Close()
		s.Close()
	}
}

// A parked receipt taken by its message goes with SingleDelete only if it
// was set once; one that replaced an interim receipt was set twice, and
// goes with a deletion. Flushed between every step and compacted, neither
// comes back.
func TestTakenParkedReceiptsStayRemoved(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	counted := entryCounter{}
	s.committing = func(b *pebble.Batch) { counted.count(t, b) }
	flush := func() {
		t.Helper()
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	final := Receipt{Carrier: "skt", Delivered: true, Final: true, Result: delivrd}
	interim := Receipt{Carrier: "skt", Final: false}
	for _, cmid := range []string{"ONCE", "TWICE"} {
		id := mustAccept(t, s, sms("c1", cmid))
		toSending(t, s, id)
		if cmid == "TWICE" {
			interim.CarrierMsgID = cmid
			if out, err := s.ApplyReceipt(ctx, interim); err != nil || out != OutcomeParked {
				t.Fatalf("interim: %v %v", out, err)
			}
			flush()
		}
		final.CarrierMsgID = cmid
		if out, err := s.ApplyReceipt(ctx, final); err != nil || out != OutcomeParked {
			t.Fatalf("final: %v %v", out, err)
		}
		flush()
		if st, err := s.RecordSubmitResp(ctx, id, "skt", cmid, c.Now()); err != nil || st != message.StateDelivered {
			t.Fatalf("%s: %v %v", cmid, st, err)
		}
		flush()
	}
	if counted["04 singledel"] != 1 || counted["04 delete"] != 1 {
		t.Errorf("removals of parked receipts:\n%v", counted)
	}
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tParked}, UpperBound: []byte{tParked + 1}})
	if err != nil {
		t.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		t.Errorf("parked receipt %x still there", it.Key())
	}
	it.Close()
	mustVerify(t, s)
}
