package store

import (
	"context"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// dated is a final receipt for carrier id cmid on skt, as a carrier whose
// clock agrees with ours writes it: its submit date is when the submit it
// reports was written, its done date now, both to the minute, and it
// arrives now.
func dated(cmid string, delivered bool, submitted, now time.Time) Receipt {
	code := "UNDELIV"
	if delivered {
		code = "DELIVRD"
	}
	return Receipt{Carrier: "skt", CarrierMsgID: cmid, Delivered: delivered, Final: true,
		Result:    message.Result{Source: message.SourceReceipt, Code: code, Reason: code + " err:000"},
		Arrived:   now,
		Submitted: submitted.Truncate(time.Minute), Done: now.Truncate(time.Minute), Skew: 2 * time.Minute}
}

// sentAs accepts a message and walks it to sent on skt under carrier id
// cmid now; it returns the message and when its submit_sm was written.
func sentAs(t *testing.T, s *Store, c *clock, ref, cmid string) (message.ID, time.Time) {
	t.Helper()
	id := mustAccept(t, s, sms("c1", ref))
	toSent(t, s, id, cmid, c.Now())
	return id, c.Now()
}

// TestReusedIDReceiptFromFinalHolder: a carrier restarts and hands id X,
// whose holder was delivered minutes ago, to a new submit; the new
// receipt overtakes its submit_sm_resp. Its submit date is minutes after
// the holder's send, so it cannot be the holder's duplicate: it is
// parked, and the new message takes it with its answer. A true duplicate
// of the holder's receipt (the same dates) still changes nothing.
func TestReusedIDReceiptFromFinalHolder(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a, sentA := sentAs(t, s, c, "a", "X")
	c.Add(20 * time.Second)
	own := dated("X", true, sentA, c.Now())
	if out, err := s.ApplyReceipt(ctx, own); err != nil || out != OutcomeApplied {
		t.Fatalf("the holder's receipt: %v %v", out, err)
	}
	c.Add(time.Minute)
	again := own
	again.Arrived = c.Now()
	if out, err := s.ApplyReceipt(ctx, again); err != nil || out != OutcomeDuplicate {
		t.Fatalf("its duplicate a minute later: %v %v", out, err)
	}

	c.Add(4 * time.Minute) // well within ParkedTTL: no guessing by age
	b := mustAccept(t, s, sms("c1", "b"))
	toSending(t, s, b)
	sentB := c.Now()
	early := dated("X", false, sentB, c.Now())
	if out, err := s.ApplyReceipt(ctx, early); err != nil || out != OutcomeParked {
		t.Fatalf("the new holder's early receipt: %v %v, want parked", out, err)
	}
	if out, err := s.ApplyReceipt(ctx, early); err != nil || out != OutcomeDuplicate {
		t.Fatalf("its duplicate while parked: %v %v", out, err)
	}
	if st, err := s.RecordSubmitResp(ctx, b, "skt", "X", sentB); err != nil || st != message.StateFailed {
		t.Fatalf("the new holder after its answer: %v %v, want failed", st, err)
	}
	if m, _ := s.Get(a); m.State != message.StateDelivered || m.Result != own.Result {
		t.Fatalf("the old holder changed: %s %+v", m.State, m.Result)
	}
	mustVerify(t, s)
}

// TestReusedIDReceiptNotTheOpenHolders: the old holder of id X is still
// open (its receipt was lost with the carrier's restart) when the new
// holder's receipt overtakes its answer. The receipt does not deliver or
// bill the old holder: it waits for the new one.
func TestReusedIDReceiptNotTheOpenHolders(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a, _ := sentAs(t, s, c, "a", "X")
	c.Add(5 * time.Minute)
	b := mustAccept(t, s, sms("c1", "b"))
	toSending(t, s, b)
	sentB := c.Now()
	rc := dated("X", true, sentB, c.Now())
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeParked {
		t.Fatalf("the new holder's early receipt: %v %v, want parked", out, err)
	}
	if m, _ := s.Get(a); m.State != message.StateSent || m.Billed != message.ProductUnknown {
		t.Fatalf("the old holder took the new one's receipt: %s billed %s", m.State, m.Billed)
	}
	if st, err := s.RecordSubmitResp(ctx, b, "skt", "X", sentB); err != nil || st != message.StateDelivered {
		t.Fatalf("the new holder after its answer: %v %v, want delivered", st, err)
	}
	if n, _ := s.MonthCounts("c1", billingMonth(c.Now())); n[message.ProductSMS] != 1 {
		t.Fatalf("billed %v, want the one delivery", n)
	}
	if m, _ := s.Get(a); m.State != message.StateSent {
		t.Fatalf("the old holder: %s", m.State)
	}
	mustVerify(t, s)
}

// TestReceiptForAnEarlierHolderDropped: a receipt whose dates put its
// submit half an hour before the send of the message now holding its id
// is an earlier holder's; it arrives late and is dropped, counted.
func TestReceiptForAnEarlierHolderDropped(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a, sentA := sentAs(t, s, c, "a", "X")
	c.Add(time.Second)
	if out, err := s.ApplyReceipt(ctx, dated("X", true, sentA.Add(-30*time.Minute), c.Now())); err != nil || out != OutcomeUnmatched {
		t.Fatalf("an earlier holder's receipt: %v %v, want unmatched", out, err)
	}
	if got := s.m.rcptUnmatched.Get(); got != 1 {
		t.Fatalf("unmatched counted %d", got)
	}
	// One that arrived before the holder's submit_sm was written: the same.
	before := Receipt{Carrier: "skt", CarrierMsgID: "X", Delivered: true, Final: true, Result: delivrd, Arrived: sentA.Add(-time.Millisecond)}
	if out, err := s.ApplyReceipt(ctx, before); err != nil || out != OutcomeUnmatched {
		t.Fatalf("a receipt read before the submit: %v %v, want unmatched", out, err)
	}
	if m, _ := s.Get(a); m.State != message.StateSent {
		t.Fatalf("the holder took an earlier holder's receipt: %s", m.State)
	}
	// A parked receipt whose dates put its submit before the send of the
	// message that later records its id is not that message's either.
	b := mustAccept(t, s, sms("c1", "b"))
	toSending(t, s, b)
	sentB := c.Now()
	c.Add(time.Second)
	if out, err := s.ApplyReceipt(ctx, dated("Y", true, sentB.Add(-20*time.Minute), c.Now())); err != nil || out != OutcomeParked {
		t.Fatalf("%v %v", out, err)
	}
	if st, err := s.RecordSubmitResp(ctx, b, "skt", "Y", sentB); err != nil || st != message.StateSent {
		t.Fatalf("a parked receipt for an earlier submit applied: %v %v", st, err)
	}
	if got := s.m.rcptUnmatched.Get(); got != 3 {
		t.Fatalf("unmatched counted %d, want 3", got)
	}
	mustVerify(t, s)
}

// TestUntrustedReceiptDatesIgnored: a receipt whose done date is hours
// from its arrival (a carrier clock off, or its dates read in the wrong
// time zone) is placed as one without dates: the open holder of its id
// takes it.
func TestUntrustedReceiptDatesIgnored(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	_, sentA := sentAs(t, s, c, "a", "X")
	c.Add(time.Minute)
	rc := dated("X", true, sentA, c.Now())
	rc.Submitted, rc.Done = rc.Submitted.Add(-9*time.Hour), rc.Done.Add(-9*time.Hour) // UTC read as KST
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeApplied {
		t.Fatalf("%v %v, want applied", out, err)
	}
	mustVerify(t, s)
}
