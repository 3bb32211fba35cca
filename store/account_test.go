package store

import (
	"context"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

// TestAccountsShareReceipts: carriers a1 and a2 bind one SMSC login, the
// account "acct". A receipt read on either bind finds a message sent on
// the other, whether it comes after the submit_sm_resp or overtakes it;
// the message keeps the name of the carrier it went out on.
func TestAccountsShareReceipts(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	s.SetAccounts(map[string]string{"a1": "acct", "a2": "acct"})
	ctx := context.Background()

	after := mustAccept(t, s, sms("c1", "after"))
	if err := s.MarkQueued(ctx, after); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, after, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordSubmitResp(ctx, after, "a1", "0A", c.Now()); err != nil {
		t.Fatal(err)
	}
	rc := Receipt{Carrier: "acct", CarrierMsgID: "0A", Delivered: true, Final: true, Result: delivrd}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeApplied {
		t.Fatalf("receipt after the answer: %v %v", out, err)
	}

	early := mustAccept(t, s, sms("c1", "early"))
	if err := s.MarkQueued(ctx, early); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, early, "a2"); err != nil {
		t.Fatal(err)
	}
	rc.CarrierMsgID, rc.Arrived = "0B", c.Now()
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeParked {
		t.Fatalf("receipt before the answer: %v %v", out, err)
	}
	if st, err := s.RecordSubmitResp(ctx, early, "a2", "0B", c.Now()); err != nil || st != message.StateDelivered {
		t.Fatalf("answer with the receipt parked: %v %v", st, err)
	}
	for id, carrier := range map[message.ID]string{after: "a1", early: "a2"} {
		m, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if m.State != message.StateDelivered || m.Carrier != carrier || m.Billed != message.ProductSMS {
			t.Errorf("message %s: %s on %q billed %s", id, m.State, m.Carrier, m.Billed)
		}
	}
	// The account is the key: the carrier's own name finds nothing.
	rc.Carrier, rc.CarrierMsgID = "a1", "0A"
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeParked {
		t.Fatalf("receipt under the carrier's name: %v %v", out, err)
	}
	mustVerify(t, s)
}
