package store

import (
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

func TestOpenSummaryByStateAndAge(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	old := mustAccept(t, s, sms("c1", "a")) // accepted, 2h old
	toSent(t, s, mustAccept(t, s, sms("c1", "b")), "B", c.Now())
	c.Add(2 * time.Hour)
	mustAccept(t, s, sms("c1", "c")) // accepted, fresh
	done := mustAccept(t, s, sms("c1", "d"))
	toSent(t, s, done, "D", c.Now())
	if err := s.Deliver(context.Background(), done, message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}, c.Now()); err != nil {
		t.Fatal(err)
	}
	sum, err := s.OpenSummary(c.Now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"accepted": {1, 0, 1, 0}, "sent": {0, 0, 1, 0}}
	if sum.Total != 3 || sum.Truncated || len(sum.ByState) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for st, row := range want {
		for i := range row {
			if sum.ByState[st][i] != row[i] {
				t.Fatalf("%s: %v, want %v", st, sum.ByState[st], row)
			}
		}
	}
	m, _ := s.Get(old)
	if !sum.Oldest.Equal(m.AcceptedAt) {
		t.Errorf("oldest %v, want %v", sum.Oldest, m.AcceptedAt)
	}
	if sum, err := s.OpenSummary(c.Now(), 2); err != nil || sum.Total != 2 || !sum.Truncated {
		t.Fatalf("limited scan: %+v %v", sum, err)
	}
}
