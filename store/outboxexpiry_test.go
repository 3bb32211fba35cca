package store

import (
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// failNow accepts a message of the ingress and fails it at the clock's time:
// a report in its customer's outbox.
func failNow(t *testing.T, s *Store, customer, ref string, in message.Ingress) message.ID {
	t.Helper()
	ctx := context.Background()
	m := sms(customer, ref)
	m.Ingress = in
	id := mustAccept(t, s, m)
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, id, message.Result{Source: message.SourceRelay, Code: "x"}); err != nil {
		t.Fatal(err)
	}
	return id
}

func outboxSeqs(t *testing.T, s *Store, customer string) []uint64 {
	t.Helper()
	reps, err := s.Reports(customer, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, r := range reps {
		seqs = append(seqs, r.Seq)
	}
	return seqs
}

// TestReportsExpireAfterKeep: reports nobody takes stay in the outbox until
// ReportKeep after their final result, then go, counted by customer and
// ingress; across a reopen too, and sequences keep growing.
func TestReportsExpireAfterKeep(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	ctx := context.Background()
	failNow(t, s, "c1", "a", message.IngressUpstream) // seq 1
	failNow(t, s, "c1", "b", message.IngressSMPP)     // seq 2, acknowledged below
	failNow(t, s, "c1", "c", message.IngressSMPP)     // seq 3
	failNow(t, s, "c2", "a", message.IngressHTTP)     // c2 seq 1
	if err := s.AckReports(ctx, "c1", 2); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	failNow(t, s, "c1", "d", message.IngressUpstream) // seq 4, an hour later

	c.Add(ReportKeep - time.Hour - time.Second)
	if got, err := s.ExpireReports(ctx, c.Now(), ReportKeep); err != nil || len(got) != 0 {
		t.Fatalf("a second before: dropped %+v %v", got, err)
	}
	if seqs := outboxSeqs(t, s, "c1"); len(seqs) != 3 {
		t.Fatalf("a second before: outbox %v", seqs)
	}
	c.Add(time.Second)
	got, err := s.ExpireReports(ctx, c.Now(), ReportKeep)
	if err != nil {
		t.Fatal(err)
	}
	want := map[ExpiredReports]bool{
		{Customer: "c1", Ingress: message.IngressUpstream, Count: 1}: true,
		{Customer: "c1", Ingress: message.IngressSMPP, Count: 1}:     true,
		{Customer: "c2", Ingress: message.IngressHTTP, Count: 1}:     true,
	}
	if len(got) != len(want) {
		t.Fatalf("dropped %+v, want %v", got, want)
	}
	for _, e := range got {
		if !want[e] {
			t.Fatalf("dropped %+v, want %v", got, want)
		}
	}
	if seqs := outboxSeqs(t, s, "c1"); len(seqs) != 1 || seqs[0] != 4 {
		t.Fatalf("c1 outbox %v, want [4]", seqs)
	}
	if seqs := outboxSeqs(t, s, "c2"); len(seqs) != 0 {
		t.Fatalf("c2 outbox %v, want none", seqs)
	}
	if got, _ := s.ExpireReports(ctx, c.Now(), ReportKeep); len(got) != 0 {
		t.Fatalf("dropped twice: %+v", got)
	}
	mustVerify(t, s)

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, fs, c)
	defer s.Close()
	c.Add(time.Hour)
	got, err = s.ExpireReports(ctx, c.Now(), ReportKeep)
	if err != nil || len(got) != 1 || got[0] != (ExpiredReports{Customer: "c1", Ingress: message.IngressUpstream, Count: 1}) {
		t.Fatalf("after reopen: dropped %+v %v", got, err)
	}
	if seqs := outboxSeqs(t, s, "c1"); len(seqs) != 0 {
		t.Fatalf("c1 outbox %v, want none", seqs)
	}
	failNow(t, s, "c1", "e", message.IngressUpstream)
	if seqs := outboxSeqs(t, s, "c1"); len(seqs) != 1 || seqs[0] != 5 {
		t.Fatalf("new report: outbox %v, want [5]", seqs)
	}
	mustVerify(t, s)
}
