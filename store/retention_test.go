package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

func TestPurgeBeforeKeepsAnonymisedRecordsAndBills(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	s.opts.PurgeStep = 7 // small steps: many batches
	defer s.Close()
	ctx := context.Background()
	var old []message.ID
	for i := range 30 {
		id := mustAccept(t, s, sms("c1", fmt.Sprint(i)))
		toSent(t, s, id, fmt.Sprint("M", i), c.Now())
		if i%5 != 0 { // every fifth stays open
			s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: fmt.Sprint("M", i), Delivered: true, Final: true})
		}
		old = append(old, id)
	}
	c.Add(24 * time.Hour)
	cutoff := c.Now()
	young := mustAccept(t, s, sms("c1", "young"))
	month := billingMonth(c.Now())
	before, _ := s.MonthCounts("c1", month)

	n, err := s.PurgeBefore(ctx, cutoff)
	if err != nil || n != 24 {
		t.Fatalf("purged %d, %v; want 24 final messages", n, err)
	}
	for i, id := range old {
		m, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if m.State.Final() && (m.Text != "" || m.Recipient != "") {
			t.Fatalf("final message %d kept personal data", i)
		}
		if !m.State.Final() && m.Text == "" {
			t.Fatalf("open message %d purged", i)
		}
		if m.Customer != "c1" || m.Sender == "" || m.CarrierMsgID == "" {
			t.Fatalf("sending record lost: %+v", m)
		}
	}
	if m, _ := s.Get(young); m.Text == "" {
		t.Fatal("message after the cutoff purged")
	}
	after, _ := s.MonthCounts("c1", month)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("billing changed by purge: %v → %v", before, after)
	}
	ids, _ := s.ByRecipient("c1", "01012345678", time.Time{}, c.Now().Add(time.Hour), 100)
	if len(ids) != 7 { // six open ones and the young one
		t.Fatalf("recipient index lists %d", len(ids))
	}
	// The open ones close later and a second pass purges them.
	c.Add(message.ResultWindow)
	s.ExpireDue(ctx, c.Now(), 100)
	if n, err := s.PurgeBefore(ctx, cutoff); err != nil || n != 6 {
		t.Fatalf("second pass purged %d, %v", n, err)
	}
	exported := 0
	for m, err := range s.Export(time.Time{}, cutoff) {
		if err != nil {
			t.Fatal(err)
		}
		if m.Recipient != "" {
			t.Fatal("export of a purged period has recipients")
		}
		exported++
	}
	if exported != 30 {
		t.Fatalf("exported %d sending records", exported)
	}
	mustVerify(t, s)
}

// TestPurgeCustomerWhileWriting: a customer's personal data goes in
// bounded batches while another customer's acceptances keep committing;
// its records, references, counters and export stay, and messages still
// open keep their data.
func TestPurgeCustomerWhileWriting(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	s.opts.PurgeStep = 50
	defer s.Close()
	ctx := context.Background()
	for i := range 1000 {
		id := mustAccept(t, s, sms("gone", fmt.Sprint(i)))
		if i%2 == 0 {
			toSent(t, s, id, fmt.Sprint("G", i), c.Now())
			s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: fmt.Sprint("G", i), Delivered: true, Final: true})
		}
	}
	// Between two of the purge's commits, another writer's acceptance
	// commits: the purge does not hold the store for its whole run.
	var during, steps atomic.Int64
	s.purgeStepDone = func() {
		steps.Add(1)
		if during.Load() > 0 {
			return
		}
		if _, _, err := s.Accept(ctx, sms("stays", "between")); err != nil {
			t.Error(err)
			return
		}
		during.Add(1)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := s.Accept(ctx, sms("stays", fmt.Sprint(i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	month := billingMonth(c.Now())
	counts, _ := s.MonthCounts("gone", month)
	n, open, err := s.PurgeCustomer(ctx, "gone")
	close(stop)
	wg.Wait()
	if err != nil || n != 500 || open != 500 {
		t.Fatalf("purged %d, open %d, %v", n, open, err)
	}
	if during.Load() == 0 || steps.Load() < 2 {
		t.Fatalf("no acceptance committed while the purge ran (%d commits of the purge)", steps.Load())
	}
	if ids, _ := s.ByTime("gone", time.Time{}, c.Now().Add(time.Hour), 2000); len(ids) != 1000 {
		t.Fatalf("records left: %d, want all 1000", len(ids))
	}
	m, err := s.ByClientRef("gone", "0")
	if err != nil || m.Text != "" || m.Recipient != "" || m.State != message.StateDelivered || m.AcceptedAt.IsZero() {
		t.Fatalf("delivered message after the purge: %+v, %v", m, err)
	}
	if m, _ := s.ByClientRef("gone", "1"); m.Text == "" {
		t.Fatalf("open message purged: %+v", m)
	}
	if after, _ := s.MonthCounts("gone", month); fmt.Sprint(after) != fmt.Sprint(counts) || len(after) == 0 {
		t.Fatalf("counters %v, want %v", after, counts)
	}
	if reps, _ := s.Reports("gone", 0, 10); len(reps) != 0 {
		t.Fatalf("outbox left: %v", reps)
	}
	rows := 0
	for m, err := range s.Export(time.Time{}, c.Now().Add(time.Hour)) {
		if err != nil {
			t.Fatal(err)
		}
		if m.Customer == "gone" {
			rows++
		}
	}
	if rows != 1000 {
		t.Fatalf("export has %d rows of the purged customer, want 1000", rows)
	}
	if ids, _ := s.ByTime("stays", time.Time{}, c.Now().Add(time.Hour), 1<<20); int64(len(ids)) < during.Load() {
		t.Fatalf("other customer lost acceptances: %d < %d", len(ids), during.Load())
	}
	mustVerify(t, s)
}
