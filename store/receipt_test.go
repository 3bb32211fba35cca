package store

import (
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

var delivrd = message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}

func TestParkedReceiptAppliedOnSubmitResp(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "p"))
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, id, "skt"); err != nil {
		t.Fatal(err)
	}
	// The receipt overtakes the submit_sm_resp.
	rc := Receipt{Carrier: "skt", CarrierMsgID: "0A1B", Delivered: true, Final: true, Result: delivrd, At: c.Now()}
	if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "0A1B", Final: false}); err != nil || out != OutcomeParked {
		t.Fatalf("interim receipt: %v %v", out, err)
	}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeParked {
		t.Fatalf("final receipt: %v %v", out, err)
	}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeDuplicate {
		t.Fatalf("parked twice: %v %v", out, err)
	}
	// Parked durably: it survives a restart.
	s.Close()
	s = openTest(t, fs, c)
	defer s.Close()
	st, err := s.RecordSubmitResp(ctx, id, "skt", "0A1B", c.Now())
	if err != nil || st != message.StateDelivered {
		t.Fatalf("submit resp with parked receipt: %v %v", st, err)
	}
	m, _ := s.Get(id)
	if m.Result != delivrd || m.Billed != message.ProductSMS {
		t.Fatalf("delivered message: %+v", m)
	}
	mustVerify(t, s)
	if n, err := s.DropStaleParked(ctx, c.Now().Add(100*time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("parked receipt left behind: %d %v", n, err)
	}
}

func TestDuplicateAndLateReceiptsChangeNothing(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a := mustAccept(t, s, sms("c1", "a"))
	b := mustAccept(t, s, sms("c1", "b"))
	toSent(t, s, a, "A", c.Now())
	toSent(t, s, b, "B", c.Now())
	rc := Receipt{Carrier: "skt", CarrierMsgID: "A", Delivered: true, Final: true, Result: delivrd}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeApplied {
		t.Fatalf("%v %v", out, err)
	}
	before, _ := s.Get(a)
	reports, _ := s.Reports("c1", 0, 100)
	for range 3 {
		if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeDuplicate {
			t.Fatalf("duplicate: %v %v", out, err)
		}
		failed := rc
		failed.Delivered = false
		if out, err := s.ApplyReceipt(ctx, failed); err != nil || out != OutcomeDuplicate {
			t.Fatalf("contradicting duplicate: %v %v", out, err)
		}
	}
	after, _ := s.Get(a)
	if *after != *before {
		t.Fatal("duplicate receipt changed the message")
	}
	if r2, _ := s.Reports("c1", 0, 100); len(r2) != len(reports) {
		t.Fatalf("duplicate receipt added reports: %d → %d", len(reports), len(r2))
	}
	month := billingMonth(c.Now())
	if n, _ := s.MonthCounts("c1", month); n[message.ProductSMS] != 1 {
		t.Fatalf("billed %v, want 1 sms", n)
	}
	// b expires, then its receipt arrives late.
	c.Add(message.ResultWindow)
	ids, err := s.ExpireDue(ctx, c.Now(), 10)
	if err != nil || len(ids) != 1 || ids[0] != b {
		t.Fatalf("ExpireDue: %v %v", ids, err)
	}
	late := Receipt{Carrier: "skt", CarrierMsgID: "B", Delivered: true, Final: true}
	if out, err := s.ApplyReceipt(ctx, late); err != nil || out != OutcomeLate {
		t.Fatalf("late: %v %v", out, err)
	}
	if m, _ := s.Get(b); m.State != message.StateExpired || m.Result != ExpiredResult {
		t.Fatalf("late receipt changed %+v", m)
	}
	if n, _ := s.MonthCounts("c1", month); n[message.ProductSMS] != 1 {
		t.Fatalf("late receipt billed: %v", n)
	}
	mustVerify(t, s)
}

func TestStaleParkedDropped(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	// The message's submit_sm goes out first; both receipts arrive after it.
	id := mustAccept(t, s, sms("c1", "y"))
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, id, "skt"); err != nil {
		t.Fatal(err)
	}
	sentAt := c.Now()
	for _, cmid := range []string{"X", "Y"} {
		if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: cmid, Final: true}); err != nil || out != OutcomeParked {
			t.Fatal(out, err)
		}
		c.Add(time.Minute)
	}
	n, err := s.DropStaleParked(ctx, c.Now().Add(DefaultParkedTTL-90*time.Second), 10)
	if err != nil || n != 1 {
		t.Fatalf("dropped %d, %v; want only the older one", n, err)
	}
	if got := s.m.parkedDropped.Get(); got != 1 {
		t.Fatalf("dropped receipts counted %d", got)
	}
	// The younger one is still parked and applies when its id arrives.
	if st, err := s.RecordSubmitResp(ctx, id, "skt", "Y", sentAt); err != nil || st != message.StateFailed {
		t.Fatalf("younger parked receipt: %v %v", st, err)
	}
}

// TestCarrierIDReused: a carrier reuses a message id after a while; the
// receipt goes to the message that recorded it last.
func TestCarrierIDReused(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a := mustAccept(t, s, sms("c1", "a"))
	toSent(t, s, a, "R1", c.Now())
	if out, _ := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "R1", Delivered: true, Final: true}); out != OutcomeApplied {
		t.Fatal(out)
	}
	b := mustAccept(t, s, sms("c1", "b"))
	toSent(t, s, b, "R1", c.Now())
	mustVerify(t, s)
	if out, _ := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "R1", Delivered: false, Final: true}); out != OutcomeApplied {
		t.Fatal(out)
	}
	if m, _ := s.Get(b); m.State != message.StateFailed {
		t.Fatalf("second holder of the id: %s", m.State)
	}
	if m, _ := s.Get(a); m.State != message.StateDelivered {
		t.Fatalf("first holder changed: %s", m.State)
	}
	mustVerify(t, s)
}

// TestParkedReceiptKeptFromLaterMessage: a receipt parked under carrier id
// X before any message had X belongs to no message sent after it arrived.
// When the carrier later gives X to a new submit, the parked receipt is
// dropped and counted as unmatched; the new message waits for its own.
func TestParkedReceiptKeptFromLaterMessage(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	stray := Receipt{Carrier: "skt", CarrierMsgID: "X", Delivered: true, Final: true, Result: delivrd}
	if out, err := s.ApplyReceipt(ctx, stray); err != nil || out != OutcomeParked {
		t.Fatalf("stray receipt: %v %v", out, err)
	}
	c.Add(time.Second)
	id := mustAccept(t, s, sms("c1", "later"))
	toSent(t, s, id, "X", c.Now()) // fails here when the stray is applied
	if m, _ := s.Get(id); m.State != message.StateSent || !m.FinalAt.IsZero() || m.Billed != message.ProductUnknown {
		t.Fatalf("the later message took the stray receipt: %+v", m)
	}
	if n, _ := s.MonthCounts("c1", billingMonth(c.Now())); n[message.ProductSMS] != 0 {
		t.Fatalf("billed %v for a receipt that predates the submit", n)
	}
	if got := s.m.rcptUnmatched.Get(); got != 1 {
		t.Fatalf("unmatched receipts counted %d, want 1", got)
	}
	// Its own receipt applies as usual, and the stray is gone for good.
	c.Add(time.Second)
	if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "X", Final: true, Result: delivrd}); err != nil || out != OutcomeApplied {
		t.Fatalf("own receipt: %v %v", out, err)
	}
	if m, _ := s.Get(id); m.State != message.StateFailed || m.FinalAt.Before(m.SentAt) {
		t.Fatalf("own receipt: %+v", m)
	}
	if n, err := s.DropStaleParked(ctx, c.Now().Add(time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("stray still parked: %d %v", n, err)
	}
	mustVerify(t, s)
}

// TestParkedReceiptOnlyForItsCarrier: the same id on another carrier (or
// another account of one, which is another carrier to the relay) is
// another message.
func TestParkedReceiptOnlyForItsCarrier(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "p"))
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, id, "skt"); err != nil {
		t.Fatal(err)
	}
	sentAt := c.Now()
	c.Add(time.Second)
	if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "kt", CarrierMsgID: "X", Delivered: true, Final: true}); err != nil || out != OutcomeParked {
		t.Fatalf("%v %v", out, err)
	}
	if st, err := s.RecordSubmitResp(ctx, id, "skt", "X", sentAt); err != nil || st != message.StateSent {
		t.Fatalf("another carrier's receipt applied: %v %v", st, err)
	}
}

// TestFinalNeverBeforeSent: a result stamped before the submit (a carrier
// clock behind ours, a receipt parked in the same instant) is final at the
// send, never before it.
func TestFinalNeverBeforeSent(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "p"))
	toSent(t, s, id, "A", c.Now())
	rc := Receipt{Carrier: "skt", CarrierMsgID: "A", Delivered: true, Final: true, Result: delivrd, At: c.Now().Add(-time.Minute)}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeApplied {
		t.Fatalf("%v %v", out, err)
	}
	m, _ := s.Get(id)
	if m.FinalAt.Before(m.SentAt) {
		t.Fatalf("final_at %v before sent_at %v", m.FinalAt, m.SentAt)
	}
	mustVerify(t, s)
}

// TestParkedTTLShortByDefault: a parked receipt waits minutes for its
// submit_sm_resp, not the 48 hours of a message's life.
func TestParkedTTLShortByDefault(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "X", Final: true}); err != nil || out != OutcomeParked {
		t.Fatal(out, err)
	}
	if n, err := s.DropStaleParked(ctx, c.Now().Add(DefaultParkedTTL-time.Second), 10); err != nil || n != 0 {
		t.Fatalf("dropped %d early, %v", n, err)
	}
	if n, err := s.DropStaleParked(ctx, c.Now().Add(DefaultParkedTTL), 10); err != nil || n != 1 {
		t.Fatalf("dropped %d at the TTL, %v", n, err)
	}
	if DefaultParkedTTL > time.Hour {
		t.Fatalf("default parked TTL %v", DefaultParkedTTL)
	}
}

// A receipt's arrival is when the relay read it, not the time of the store
// batch it joined: a group commit that started before the submit went out
// must not make the submit's own receipt look older than the submit.
func TestParkedReceiptArrivalIsWhenItWasRead(t *testing.T) {
	c := newClock() // the store's clock stands still: every batch has its time
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "fast receipt"))
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, id, "skt"); err != nil {
		t.Fatal(err)
	}
	sentAt := c.Now().Add(5 * time.Millisecond)
	rc := Receipt{Carrier: "skt", CarrierMsgID: "F1", Delivered: true, Final: true, Result: delivrd,
		Arrived: sentAt.Add(5 * time.Millisecond)}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeParked {
		t.Fatalf("receipt before the submit_sm_resp: %v %v", out, err)
	}
	if st, err := s.RecordSubmitResp(ctx, id, "skt", "F1", sentAt); err != nil || st != message.StateDelivered {
		t.Fatalf("submit_sm_resp after its own receipt: %v %v, want delivered", st, err)
	}
	mustVerify(t, s)
}

// TestReceiptForReusedIDOvertakesItsAnswer: the carrier hands id X, whose
// last holder ended long ago, to a new submit, and the new receipt
// overtakes the submit_sm_resp. It is parked for the new message, not
// swallowed as a duplicate of the old one's; a duplicate of the old
// holder's own receipt, minutes after it, still changes nothing.
func TestReceiptForReusedIDOvertakesItsAnswer(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a := mustAccept(t, s, sms("c1", "a"))
	toSent(t, s, a, "X", c.Now())
	rc := Receipt{Carrier: "skt", CarrierMsgID: "X", Delivered: true, Final: true, Result: delivrd}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeApplied {
		t.Fatalf("%v %v", out, err)
	}
	c.Add(time.Minute)
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeDuplicate {
		t.Fatalf("the holder's duplicate a minute later: %v %v", out, err)
	}

	c.Add(DefaultParkedTTL)
	b := mustAccept(t, s, sms("c1", "b"))
	if err := s.MarkQueued(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, b, "skt"); err != nil {
		t.Fatal(err)
	}
	sentAt := c.Now()
	c.Add(time.Second)
	failed := Receipt{Carrier: "skt", CarrierMsgID: "X", Final: true, Result: message.Result{Source: message.SourceReceipt, Code: "UNDELIV"}}
	if out, err := s.ApplyReceipt(ctx, failed); err != nil || out != OutcomeParked {
		t.Fatalf("the new holder's early receipt: %v %v, want parked", out, err)
	}
	if st, err := s.RecordSubmitResp(ctx, b, "skt", "X", sentAt); err != nil || st != message.StateFailed {
		t.Fatalf("the new holder after its answer: %v %v", st, err)
	}
	if m, _ := s.Get(a); m.State != message.StateDelivered {
		t.Fatalf("the old holder changed: %s", m.State)
	}
	mustVerify(t, s)
}
