package relay

import (
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestEarlyReceiptForReusedIDNotApplied: a carrier sends a receipt for id
// 1 before any message has it; a second later it hands id 1 to a new
// submit (carriers reuse ids). The early receipt is not that message's: it
// is not delivered or billed by it, and the drop is counted. The
// message's own receipt then delivers it, final no earlier than sent.
func TestEarlyReceiptForReusedIDNotApplied(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.sims["a"].Receipts = smpptest.ReceiptNone // the test sends each receipt
		s.cfg.Carriers[0].Binds = 1
	})
	u := h.connect("shop")
	sim := h.sims["a"]
	if !sim.SendReceipt("relay", "1", true) {
		t.Fatal("stray receipt not sent")
	}
	h.waitFor("the stray receipt parked", func() bool {
		return h.counter(`relay_receipts_total{carrier="a",outcome="parked"}`) == 1
	})
	h.now.Advance(time.Second)

	r := h.submit(u, sms("reused-1", "안녕하세요"))
	if r.Status != upstreampb.Status_OK {
		t.Fatalf("submit: %v", r)
	}
	id, err := message.ParseID(r.MessageId)
	if err != nil {
		t.Fatal(err)
	}
	var m *message.Message
	h.waitFor("the submit recorded", func() bool {
		m, _ = h.d.Store().Get(id)
		return m != nil && m.CarrierMsgID != ""
	})
	if m.CarrierMsgID != "1" || m.State != message.StateSent || m.Billed != message.ProductUnknown {
		t.Fatalf("the message with the reused id: %s %s billed %s", m.CarrierMsgID, m.State, m.Billed)
	}
	if n := h.counter(`relay_store_receipts_total{outcome="unmatched"}`); n != 1 {
		t.Fatalf("unmatched receipts counted %d", n)
	}

	h.now.Advance(time.Second)
	if !sim.SendReceipt("relay", "1", true) {
		t.Fatal("own receipt not sent")
	}
	h.waitFor("the message delivered by its own receipt", func() bool {
		m, _ = h.d.Store().Get(id)
		return m.State == message.StateDelivered
	})
	if m.FinalAt.Before(m.SentAt) || m.Billed != message.ProductSMS {
		t.Fatalf("delivered: final %v sent %v billed %s", m.FinalAt, m.SentAt, m.Billed)
	}
}
