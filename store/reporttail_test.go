package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// TestReportTailMatchesOutbox drives two customers' outboxes through
// random reports, acknowledgements (in order, out of order, twice, of
// numbers never given), expiries and a reopen, and after every step
// compares what Reports answers (from the in-memory tail when it can)
// with the outbox as Pebble holds it.
func TestReportTailMatchesOutbox(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	defer func() { s.Close() }()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	customers := []string{"c1", "c2"}
	next := map[string]uint64{"c1": 1, "c2": 1}
	fromTail := 0
	check := func(step int) {
		t.Helper()
		for _, cu := range customers {
			for _, after := range []uint64{0, next[cu] / 2, next[cu] - 2, next[cu] - 1, uint64(rng.IntN(int(next[cu]) + 1))} {
				limit := 1 + rng.IntN(300)
				got, err := s.Reports(cu, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				want, err := s.storedReports(cu, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := s.tails.reports(cu, after, limit, nil); ok {
					fromTail++
				}
				if a, b := reportsString(got), reportsString(want); a != b {
					t.Fatalf("step %d, %s after %d limit %d:\nReports %s\noutbox  %s", step, cu, after, limit, a, b)
				}
			}
		}
	}
	for step := range 700 {
		cu := customers[rng.IntN(2)]
		switch r := rng.IntN(100); {
		case r < 55:
			failNow(t, s, cu, fmt.Sprintf("r%d", step), message.IngressUpstream)
			next[cu]++
		case r < 90:
			var seqs []uint64
			for range 1 + rng.IntN(8) {
				seqs = append(seqs, uint64(rng.IntN(int(next[cu])+3)))
			}
			if err := s.AckReports(ctx, cu, seqs...); err != nil {
				t.Fatal(err)
			}
		case r < 93:
			c.Add(ReportKeep / 3)
			if _, err := s.ExpireReports(ctx, c.Now(), ReportKeep); err != nil {
				t.Fatal(err)
			}
		case r < 94:
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openTest(t, fs, c)
		case r < 95:
			// A burst past one tail's bound, nothing acknowledged.
			for i := range tailCap/2 + rng.IntN(tailCap/2) {
				failNow(t, s, cu, fmt.Sprintf("b%d-%d", step, i), message.IngressUpstream)
				next[cu]++
			}
		default:
			failNow(t, s, cu, fmt.Sprintf("r%d", step), message.IngressUpstream)
			next[cu]++
		}
		check(step)
	}
	if fromTail == 0 {
		t.Fatal("no read was answered from a tail")
	}
	t.Logf("%d of the reads answered from a tail", fromTail)
}

func reportsString(rs []Report) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("[%d %s %q %s %v %s %s %s %s %s %s]", r.Seq, r.ID, r.ClientRef, r.State, r.Result,
			r.FinalAt.UTC().Format(time.RFC3339Nano), r.Billed, r.Product,
			r.AcceptedAt.UTC().Format(time.RFC3339Nano), r.SentAt.UTC().Format(time.RFC3339Nano), r.Ingress)
	}
	return s
}

// A tail in its steady state (reports added, read and acknowledged as
// fast as they come) allocates nothing but the read's answer, sized
// once: the room of the acknowledged reports is used again.
func TestReportTailAllocations(t *testing.T) {
	var ts reportTails
	const batch = 40 // reports a group adds, read and acknowledged at once
	reps := make([]tailReport, batch)
	acks := []tailAck{{customer: "c", seqs: make([]uint64, batch)}}
	seq := uint64(1)
	round := func() {
		for i := range reps {
			reps[i] = tailReport{customer: "c", r: Report{Seq: seq, ClientRef: "ref"}}
			acks[0].seqs[i] = seq
			seq++
		}
		ts.apply(reps, nil, false)
		out, ok := ts.reports("c", seq-batch-1, 1000, nil)
		if !ok || len(out) != batch || out[0].Seq != seq-batch || cap(out) != batch {
			t.Fatalf("read %d reports (cap %d) from %d, %v", len(out), cap(out), seq-batch, ok)
		}
		ts.apply(nil, acks, false)
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(100, round); n != 1 {
		t.Errorf("%v allocations a round, want 1 (the answer)", n)
	}
}
