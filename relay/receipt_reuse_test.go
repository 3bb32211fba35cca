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

// TestEarlyReceiptReusedIDFinalHolder: carrier a gives id 1 to a message,
// which is delivered; five minutes later the carrier restarts, its ids
// start over, and id 1 goes to a new submit whose receipt comes before its
// submit_sm_resp. The receipt's submit date is minutes after the old
// holder's send, so it cannot be that message's duplicate: it is parked,
// and delivers the new message when its answer comes. The order of the
// receipt and the answer is the test's: the carrier holds the answer
// until the test moves the clock.
func TestEarlyReceiptReusedIDFinalHolder(t *testing.T) {
	testEarlyReceiptReusedID(t, true)
}

// TestEarlyReceiptReusedIDOpenHolder: as above, but the old holder is
// still waiting for its receipt (lost with the carrier's restart). The
// new message's receipt does not deliver or bill the old one.
func TestEarlyReceiptReusedIDOpenHolder(t *testing.T) {
	testEarlyReceiptReusedID(t, false)
}

func testEarlyReceiptReusedID(t *testing.T, oldFinal bool) {
	h := newHarness(t, func(s *setup) {
		s.sims["a"].Receipts = smpptest.ReceiptNone // the test sends each receipt
		s.sims["a"].Clock = s.clock
		s.cfg.Carriers[0].Binds = 1
	})
	u := h.connect("shop")
	sent := func(ref string) message.ID {
		t.Helper()
		r := h.submit(u, sms(ref, "안녕하세요"))
		if r.Status != upstreampb.Status_OK {
			t.Fatalf("submit %s: %v", ref, r)
		}
		return mustID(t, r.MessageId)
	}
	old := sent("old")
	h.waitFor("the old message sent", func() bool {
		m, _ := h.d.Store().Get(old)
		return m != nil && m.State == message.StateSent && m.CarrierMsgID == "1"
	})
	if oldFinal {
		if !h.sims["a"].SendReceipt("relay", "1", true) {
			t.Fatal("the old message's receipt not sent")
		}
		h.waitFor("the old message delivered", func() bool {
			m, _ := h.d.Store().Get(old)
			return m.State == message.StateDelivered
		})
	}
	before, _ := h.d.Store().Get(old)

	// Five minutes on (well within the parked-receipt TTL), carrier a
	// restarts: ids from 1 again, each answer held a minute.
	h.now.Advance(5 * time.Minute)
	h.stop()
	sim, err := smpptest.NewServer(smpptest.Config{Users: map[string]string{"relay": "pw"}, Clock: h.now,
		Receipts: smpptest.ReceiptNone, Behavior: smpptest.Behavior{RespDelay: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	h.sims["a"].Close()
	h.sims["a"], h.cfg.Carriers[0].Addr = sim, sim.Addr()
	h.start()
	u = h.connect("shop")

	fresh := sent("new")
	h.waitFor("the new submit at the carrier", func() bool { return len(sim.Submitted()) == 1 })
	if id := sim.Submitted()[0].MessageID; id != "1" {
		t.Fatalf("the restarted carrier gave id %q", id)
	}
	if !sim.SendReceipt("relay", "1", true) {
		t.Fatal("the new message's receipt not sent")
	}
	outcome := func(o string) uint64 {
		return h.counter(`relay_receipts_total{carrier="a",outcome="` + o + `"}`)
	}
	h.waitFor("the early receipt taken", func() bool {
		return outcome("parked")+outcome("duplicate")+outcome("applied")+outcome("unmatched") > 0
	})
	if n := outcome("parked"); n != 1 {
		m, _ := h.d.Store().Get(old)
		t.Fatalf("the early receipt: parked %d, duplicate %d, applied %d; the old message is %s billed %s",
			n, outcome("duplicate"), outcome("applied"), m.State, m.Billed)
	}

	h.now.Advance(time.Minute) // the carrier answers the submit
	var m *message.Message
	h.waitFor("the new message delivered", func() bool {
		m, _ = h.d.Store().Get(fresh)
		return m.State.Final()
	})
	if m.State != message.StateDelivered || m.Billed != message.ProductSMS || m.CarrierMsgID != "1" || m.FinalAt.Before(m.SentAt) {
		t.Fatalf("the new message: %s billed %s id %q final %v sent %v", m.State, m.Billed, m.CarrierMsgID, m.FinalAt, m.SentAt)
	}
	after, _ := h.d.Store().Get(old)
	if after.State != before.State || after.Billed != before.Billed || !after.FinalAt.Equal(before.FinalAt) {
		t.Fatalf("the old message changed: %s billed %s → %s billed %s", before.State, before.Billed, after.State, after.Billed)
	}
}
