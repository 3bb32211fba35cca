package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// TestHistoryScanBound: a filter that matches little answers a short page
// with a cursor, and following the cursors still finds every match, newest
// first.
func TestHistoryScanBound(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	var want []message.ID
	for i := range 40 {
		c.Add(time.Second)
		id := mustAccept(t, s, sms("c1", fmt.Sprint(i)))
		if i%9 == 0 {
			want = append(want, id)
		}
		mustAccept(t, s, sms("other", fmt.Sprint(i))) // another customer's, never listed
	}
	slices.Reverse(want)
	match := func(m *message.Message) bool { var n int; fmt.Sscan(m.ClientRef, &n); return n%9 == 0 }
	q := HistoryQuery{Customer: "c1", To: c.Now().Add(time.Hour), Match: match, Limit: 3, Scan: 7}
	var got []message.ID
	pages := 0
	for {
		p, err := s.History(q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(p.Messages) > q.Limit {
			t.Fatalf("page of %d", len(p.Messages))
		}
		for _, m := range p.Messages {
			got = append(got, m.ID)
		}
		if p.Older == 0 {
			break
		}
		q.Before = p.Older
		if pages > 40 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if pages < 40/7 {
		t.Fatalf("%d pages: the scan bound was not applied", pages)
	}
	if n, exact, err := s.CountHistory("c1", "", time.Time{}, c.Now().Add(time.Hour), 100); n != 40 || !exact || err != nil {
		t.Fatalf("count %d %v %v", n, exact, err)
	}
	if n, exact, _ := s.CountHistory("c1", "", time.Time{}, c.Now().Add(time.Hour), 10); n != 10 || exact {
		t.Fatalf("capped count %d %v", n, exact)
	}
}
