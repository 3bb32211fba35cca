package store

import (
	"context"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// One ApplyReceipts answers each receipt as ApplyReceipt would, in order,
// in one commit: a refused receipt fails alone, and the second receipt
// for a message is its duplicate.
func TestApplyReceiptsInOneCommit(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	a := mustAccept(t, s, sms("c1", "a"))
	b := mustAccept(t, s, sms("c1", "b"))
	toSent(t, s, a, "A", c.Now())
	toSent(t, s, b, "B", c.Now())
	commits := 0
	s.committing = func(*pebble.Batch) { commits++ }
	rcs := []Receipt{
		{Carrier: "skt", CarrierMsgID: "A", Delivered: true, Final: true, Result: delivrd},
		{Carrier: "skt", Final: true}, // no id
		{Carrier: "skt", CarrierMsgID: "A", Delivered: true, Final: true, Result: delivrd}, // again
		{Carrier: "skt", CarrierMsgID: "Z", Delivered: true, Final: true, Result: delivrd}, // nobody's yet
		{Carrier: "skt", CarrierMsgID: "B", Final: true, Result: message.Result{Source: message.SourceReceipt, Code: "UNDELIV"}},
	}
	out := make([]Applied, len(rcs))
	if err := s.ApplyReceipts(ctx, rcs, out); err != nil {
		t.Fatal(err)
	}
	want := []Outcome{OutcomeApplied, 0, OutcomeDuplicate, OutcomeParked, OutcomeApplied}
	for i, o := range out {
		if o.Outcome != want[i] || (o.Err != nil) != (i == 1) {
			t.Errorf("receipt %d: %v %v, want %v", i, o.Outcome, o.Err, want[i])
		}
	}
	if !errors.Is(out[1].Err, ErrInvalid) {
		t.Errorf("receipt without an id: %v", out[1].Err)
	}
	if commits != 1 {
		t.Errorf("%d commits, want 1", commits)
	}
	ma, _ := s.Get(a)
	mb, _ := s.Get(b)
	if ma.State != message.StateDelivered || mb.State != message.StateFailed {
		t.Fatalf("states %s %s", ma.State, mb.State)
	}
	mustVerify(t, s)
}
