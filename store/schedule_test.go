package store

import (
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

func takeScheduled(t *testing.T, s *Store, now time.Time) []message.ID {
	t.Helper()
	ms, err := s.TakeScheduled(context.Background(), now, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []message.ID
	for _, m := range ms {
		if m.State != message.StateAccepted || m.NotBefore.After(now) {
			t.Fatalf("taken %+v at %v", m, now)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// TestScheduledWaitOnDisk: scheduled messages wait in the sched table, are
// counted, survive a reopen, are taken only when due and once; one taken
// but never sent is scheduled again by Recover; one that ended meanwhile
// is not handed out.
func TestScheduledWaitOnDisk(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	start := c.Now()
	m1 := sms("c1", "in-1h")
	m1.NotBefore = start.Add(time.Hour)
	id1 := mustAccept(t, s, m1)
	m2 := sms("c1", "in-2h")
	m2.NotBefore = start.Add(2 * time.Hour)
	id2 := mustAccept(t, s, m2)
	mustAccept(t, s, sms("c1", "now"))
	if n := s.Scheduled(); n != 2 {
		t.Fatalf("Scheduled() = %d, want 2", n)
	}
	if ids := takeScheduled(t, s, c.Now()); len(ids) != 0 {
		t.Fatalf("taken before their time: %v", ids)
	}
	mustVerify(t, s)

	reopen := func() {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openTest(t, fs, c)
		if _, err := s.Recover(func(*message.Message) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	reopen()
	if n := s.Scheduled(); n != 2 {
		t.Fatalf("after reopen Scheduled() = %d, want 2", n)
	}
	c.Add(time.Hour - time.Millisecond)
	if ids := takeScheduled(t, s, c.Now()); len(ids) != 0 {
		t.Fatalf("taken a millisecond early: %v", ids)
	}
	c.Add(time.Millisecond)
	if ids := takeScheduled(t, s, c.Now()); len(ids) != 1 || ids[0] != id1 {
		t.Fatalf("at its time: taken %v, want [%v]", ids, id1)
	}
	if ids := takeScheduled(t, s, c.Now()); len(ids) != 0 {
		t.Fatalf("taken twice: %v", ids)
	}
	if n := s.Scheduled(); n != 1 {
		t.Fatalf("Scheduled() = %d, want 1", n)
	}
	mustVerify(t, s)

	// Taken, then a crash before its first send: scheduled again, due.
	reopen()
	if n := s.Scheduled(); n != 2 {
		t.Fatalf("after a reopen with one taken and unsent: Scheduled() = %d, want 2", n)
	}
	if ids := takeScheduled(t, s, c.Now()); len(ids) != 1 || ids[0] != id1 {
		t.Fatalf("after reopen: taken %v, want [%v]", ids, id1)
	}
	if err := s.MarkQueued(context.Background(), id1); err != nil {
		t.Fatal(err)
	}
	reopen()
	if ids := takeScheduled(t, s, c.Now()); len(ids) != 0 {
		t.Fatalf("a message on its way taken again: %v", ids)
	}

	// Ended before its time: its key goes, nothing is handed out.
	if err := s.Fail(context.Background(), id2, message.Result{Source: message.SourceRelay, Code: "x"}); err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Hour)
	if ids := takeScheduled(t, s, c.Now()); len(ids) != 0 {
		t.Fatalf("a final message taken: %v", ids)
	}
	if n := s.Scheduled(); n != 0 {
		t.Fatalf("Scheduled() = %d, want 0", n)
	}
	mustVerify(t, s)
	s.Close()
}
