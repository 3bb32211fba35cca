package store

import (
	"context"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

// A cluster node asks first whether it knows a receipt's id: LocalOnly
// parks nothing, so the receipt can go to the node that sent its message,
// and a known id is applied as always.
func TestLocalOnlyReceiptParksNothing(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	rc := Receipt{Carrier: "skt", CarrierMsgID: "0A1B", Delivered: true, Final: true, Result: delivrd, LocalOnly: true}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeUnknown {
		t.Fatalf("unknown id: %v %v", out, err)
	}
	id := mustAccept(t, s, sms("c1", "p"))
	toSending(t, s, id)
	// Nothing was parked: the submit response leaves the message sent.
	if st, err := s.RecordSubmitResp(ctx, id, "skt", "0A1B", c.Now()); err != nil || st != message.StateSent {
		t.Fatalf("submit resp: %v %v", st, err)
	}
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeApplied {
		t.Fatalf("known id: %v %v", out, err)
	}
	mustVerify(t, s)
}
