package store

import (
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

func TestExpiryAcrossReopen(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	ctx := context.Background()
	var ids []message.ID
	for i := range 5 {
		id := mustAccept(t, s, sms("c1", string(rune('a'+i))))
		toSent(t, s, id, string(rune('A'+i)), c.Now())
		ids = append(ids, id)
		c.Add(time.Hour)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Down for two days; the deadlines (acceptance + 47h) are wall-clock
	// and survive.
	c.Add(DefaultValidity - 3*time.Hour)
	s = openTest(t, fs, c)
	defer s.Close()
	open := 0
	if _, err := s.Recover(func(m *message.Message) error { open++; return nil }); err != nil || open != 5 {
		t.Fatalf("recovered %d, %v", open, err)
	}
	// Deadlines of the first three (accepted at +0h, +1h, +2h) have passed
	// by now (+49h).
	got, err := s.ExpireDue(ctx, c.Now(), 1)
	if err != nil || len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("first bounded batch: %v %v", got, err)
	}
	got, err = s.ExpireDue(ctx, c.Now(), 10)
	if err != nil || len(got) != 2 || got[0] != ids[1] || got[1] != ids[2] {
		t.Fatalf("second batch: %v %v (want %v)", got, err, ids[1:3])
	}
	if got, _ := s.ExpireDue(ctx, c.Now(), 10); len(got) != 0 {
		t.Fatalf("expired again: %v", got)
	}
	m, _ := s.Get(ids[0])
	if m.State != message.StateExpired || m.Result != ExpiredResult || !m.FinalAt.Equal(c.Now()) {
		t.Fatalf("expired message %+v", m)
	}
	reps, _ := s.Reports("c1", 0, 10)
	if len(reps) != 3 || reps[0].State != message.StateExpired || reps[0].ID != ids[0] {
		t.Fatalf("reports %+v", reps)
	}
	mustVerify(t, s)
}

func TestOutboxAcrossReopen(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	ctx := context.Background()
	for i := range 6 {
		id := mustAccept(t, s, sms("c1", string(rune('a'+i))))
		if err := s.MarkQueued(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := s.Fail(ctx, id, message.Result{Source: message.SourceRelay, Code: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	reps, err := s.Reports("c1", 0, 4)
	if err != nil || len(reps) != 4 || reps[0].Seq != 1 || reps[3].Seq != 4 {
		t.Fatalf("first page %+v %v", reps, err)
	}
	if err := s.AckReports(ctx, "c1", 1, 2, 4); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, fs, c)
	defer s.Close()
	reps, _ = s.Reports("c1", 0, 10)
	var seqs []uint64
	for _, r := range reps {
		seqs = append(seqs, r.Seq)
	}
	if len(seqs) != 3 || seqs[0] != 3 || seqs[1] != 5 || seqs[2] != 6 {
		t.Fatalf("after ack and reopen: %v", seqs)
	}
	if reps, _ = s.Reports("c1", 5, 10); len(reps) != 1 || reps[0].Seq != 6 {
		t.Fatalf("after seq 5: %+v", reps)
	}
	// Sequences keep growing after every report was acknowledged.
	s.AckReports(ctx, "c1", 3, 5, 6)
	id := mustAccept(t, s, sms("c1", "z"))
	s.MarkQueued(ctx, id)
	s.Fail(ctx, id, message.Result{})
	if reps, _ = s.Reports("c1", 0, 10); len(reps) != 1 || reps[0].Seq != 7 {
		t.Fatalf("new report %+v", reps)
	}
}

// TestNeverSentExpires: the deadline runs from acceptance, so a message no
// carrier ever took (wrong password, no live route) expires with a report
// like any other, and one the carrier took keeps the same deadline.
func TestNeverSentExpires(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	never := mustAccept(t, s, sms("c1", "never"))
	queued := mustAccept(t, s, sms("c1", "queued"))
	if err := s.MarkQueued(ctx, queued); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	sent := mustAccept(t, s, sms("c1", "sent"))
	c.Add(46 * time.Hour)
	toSent(t, s, sent, "S", c.Now()) // sent at +47h: its deadline is still acceptance + 47h
	if got, _ := s.ExpireDue(ctx, c.Now().Add(-time.Millisecond), 10); len(got) != 0 {
		t.Fatalf("expired before the deadline: %v", got)
	}
	got, err := s.ExpireDue(ctx, c.Now(), 10)
	if err != nil || len(got) != 2 || got[0] != never || got[1] != queued {
		t.Fatalf("at acceptance + 47h: %v %v, want the never-sent and the queued one", got, err)
	}
	c.Add(time.Hour)
	if got, err := s.ExpireDue(ctx, c.Now(), 10); err != nil || len(got) != 1 || got[0] != sent {
		t.Fatalf("an hour later: %v %v, want the one accepted an hour later", got, err)
	}
	reps, _ := s.Reports("c1", 0, 10)
	if len(reps) != 3 {
		t.Fatalf("%d reports, want one final report each", len(reps))
	}
	mustVerify(t, s)
}

// TestOwnDeadline: a message whose submitter asked for a validity shorter
// than the store's expires at its own deadline, through a restart; one
// that asked for a longer one is held to the store's. The deadline and
// the not-before time are kept in the record.
func TestOwnDeadline(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	ctx := context.Background()
	now := c.Now()
	short := sms("c1", "short")
	short.Deadline, short.NotBefore = now.Add(90*time.Minute), now.Add(time.Hour)
	shortID := mustAccept(t, s, short)
	long := sms("c1", "long")
	long.Deadline = now.Add(message.ResultWindow)
	longID := mustAccept(t, s, long)
	m, err := s.Get(shortID)
	if err != nil || !m.Deadline.Equal(short.Deadline) || !m.NotBefore.Equal(short.NotBefore) ||
		!s.Deadline(m).Equal(short.Deadline) {
		t.Fatalf("stored %+v %v", m, err)
	}
	if m, _ := s.Get(longID); !s.Deadline(m).Equal(now.Add(DefaultValidity)) {
		t.Fatalf("a longer validity than the store's kept: deadline %v", s.Deadline(m))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, fs, c)
	defer s.Close()
	if got, _ := s.ExpireDue(ctx, now.Add(90*time.Minute-time.Millisecond), 10); len(got) != 0 {
		t.Fatalf("expired before its own deadline: %v", got)
	}
	if got, err := s.ExpireDue(ctx, now.Add(90*time.Minute), 10); err != nil || len(got) != 1 || got[0] != shortID {
		t.Fatalf("at its own deadline: %v %v", got, err)
	}
	if got, err := s.ExpireDue(ctx, now.Add(DefaultValidity), 10); err != nil || len(got) != 1 || got[0] != longID {
		t.Fatalf("at the store's deadline: %v %v", got, err)
	}
	mustVerify(t, s)
}
