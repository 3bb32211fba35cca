package smppserver

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
)

func ucs2(t testing.TB, s string) []byte {
	b, err := coding.UCS2.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receipts collects the deliver_sm an ESME gets; refuse makes it answer
// the first n with an error.
type receipts struct {
	mu     sync.Mutex
	got    []*pdu.DeliverSM
	refuse int
}

func (r *receipts) handle(ctx context.Context, d *pdu.DeliverSM) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse > 0 {
		r.refuse--
		return pdu.StatusRxTAppn
	}
	r.got = append(r.got, d)
	return nil
}

func (r *receipts) all() []*pdu.DeliverSM {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*pdu.DeliverSM(nil), r.got...)
}

// TestSubmitThenReceipt: a UCS2 Korean submit to an international number
// is stored as a national number, answered with the relay's id after it is
// durable, and its final result comes back as a receipt carrying the same
// id in receipted_message_id and the text, then leaves the outbox.
func TestSubmitThenReceipt(t *testing.T) {
	h := newHarness(t, Config{})
	var rc receipts
	s := h.esme("demo", "demopass", smpp.BindTransceiver, rc.handle)
	id, st := submit(t, s, &pdu.SubmitSM{RegisteredDelivery: 1,
		Source:       pdu.Address{TON: 2, NPI: 1, Addr: "0212345678"},
		Dest:         pdu.Address{TON: 1, NPI: 1, Addr: "821012345678"},
		DataCoding:   0x08,
		ShortMessage: ucs2(t, "안녕하세요 결제 완료"),
	})
	if st != pdu.StatusOK {
		t.Fatalf("submit: %v", st)
	}
	mid, err := message.ParseID(id)
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	m, err := h.st.Get(mid) // durable before the answer
	if err != nil {
		t.Fatal(err)
	}
	if m.Recipient != "01012345678" || m.Sender != "0212345678" || m.Text != "안녕하세요 결제 완료" ||
		m.Ingress != message.IngressSMPP || m.Product != message.ProductSMS {
		t.Fatalf("stored %+v", m)
	}
	h.deliver(mid, true)
	waitFor(t, "the receipt", func() bool { return len(rc.all()) == 1 })
	d := rc.all()[0]
	if d.ESMClass != 0x04 || d.Source.Addr != "01012345678" || d.Dest.Addr != "0212345678" {
		t.Fatalf("receipt %+v", d)
	}
	if rid, _ := d.TLVs.ReceiptedMessageID(); rid != id {
		t.Fatalf("receipted_message_id %q, want %q", rid, id)
	}
	if ms, _ := d.TLVs.MessageState(); ms != pdu.StateDelivered {
		t.Fatalf("message_state %v", ms)
	}
	r, err := receipt.Parse(string(d.ShortMessage), receipt.TLVs{}, nil)
	if err != nil || r.ID != id || r.Stat != receipt.StatDelivered || r.Err != "000" {
		t.Fatalf("receipt text %q: %+v %v", d.ShortMessage, r, err)
	}
	waitFor(t, "the outbox to empty", func() bool {
		rs, err := h.st.Reports("demo", 0, 10)
		return err == nil && len(rs) == 0
	})
}

// TestReceiptRetriedUntilAcked: a receipt the ESME refuses stays in the
// outbox and is offered again until the ESME takes it.
func TestReceiptRetriedUntilAcked(t *testing.T) {
	h := newHarness(t, Config{ReceiptRetry: 20 * time.Millisecond})
	rc := receipts{refuse: 2}
	s := h.esme("demo", "demopass", smpp.BindTransceiver, rc.handle)
	id, st := submit(t, s, &pdu.SubmitSM{RegisteredDelivery: 1,
		Source: pdu.Address{Addr: "0212345678"}, Dest: pdu.Address{Addr: "01012345678"}, ShortMessage: []byte("hello"),
	})
	if st != pdu.StatusOK {
		t.Fatal(st)
	}
	mid, _ := message.ParseID(id)
	h.deliver(mid, false)
	waitFor(t, "the receipt", func() bool { return len(rc.all()) == 1 })
	d := rc.all()[0]
	if ms, _ := d.TLVs.MessageState(); ms != pdu.StateUndeliverable || !strings.Contains(string(d.ShortMessage), "stat:UNDELIV err:003") {
		t.Fatalf("failed receipt %v %q", ms, d.ShortMessage)
	}
	waitFor(t, "the outbox to empty", func() bool {
		rs, err := h.st.Reports("demo", 0, 10)
		return err == nil && len(rs) == 0
	})
}

// TestReceiptOnLaterBind: a result that comes while no receiver is bound
// waits in the outbox for the customer's next receiving bind.
func TestReceiptOnLaterBind(t *testing.T) {
	h := newHarness(t, Config{})
	tx := h.esme("demo", "demopass", smpp.BindTransmitter, nil)
	id, st := submit(t, tx, &pdu.SubmitSM{RegisteredDelivery: 1,
		Source: pdu.Address{Addr: "0212345678"}, Dest: pdu.Address{Addr: "01012345678"}, ShortMessage: []byte("hello"),
	})
	if st != pdu.StatusOK {
		t.Fatal(st)
	}
	mid, _ := message.ParseID(id)
	h.deliver(mid, true)
	var rc receipts
	h.esme("demo", "demopass", smpp.BindReceiver, rc.handle)
	waitFor(t, "the receipt", func() bool { return len(rc.all()) == 1 })
	if rid, _ := rc.all()[0].TLVs.ReceiptedMessageID(); rid != id {
		t.Fatalf("receipt for %q, want %q", rid, id)
	}
}

// TestDataSM: data_sm with the text in message_payload is taken like
// submit_sm and answered data_sm_resp with the relay's id; over the SMS
// limit it is an LMS.
func TestDataSM(t *testing.T) {
	h := newHarness(t, Config{})
	s := h.esme("demo", "demopass", smpp.BindTransceiver, nil)
	d := &pdu.DataSM{Source: pdu.Address{TON: 2, Addr: "0212345678"}, Dest: pdu.Address{TON: 2, Addr: "01012345678"}, DataCoding: 0x08}
	text := strings.Repeat("배송이 시작되었습니다. ", 10)
	if err := d.TLVs.SetMessagePayload(ucs2(t, text)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := s.DataSM(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	id, err := message.ParseID(r.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.st.Get(id)
	if err != nil || m.Text != text || m.Product != message.ProductLMS {
		t.Fatalf("stored %+v %v", m, err)
	}
}

// TestRegisteredDeliveryHonoured: a submit with registered_delivery 0 gets
// no receipt, one with 2 (failures only) gets one only when it fails; the
// outbox still empties, and a submit with 1 gets its receipt as always.
func TestRegisteredDeliveryHonoured(t *testing.T) {
	h := newHarness(t, Config{})
	var rc receipts
	s := h.esme("demo", "demopass", smpp.BindTransceiver, rc.handle)
	sm := func(rd uint8) *pdu.SubmitSM {
		return &pdu.SubmitSM{RegisteredDelivery: rd, Source: pdu.Address{Addr: "0212345678"},
			Dest: pdu.Address{Addr: "01012345678"}, ShortMessage: []byte("hello")}
	}
	var ids []message.ID
	for _, c := range []struct {
		rd uint8
		ok bool
	}{{0, true}, {0, false}, {2, true}, {2, false}, {1, true}} {
		id, st := submit(t, s, sm(c.rd))
		if st != pdu.StatusOK {
			t.Fatalf("submit: %v", st)
		}
		mid, err := message.ParseID(id)
		if err != nil {
			t.Fatal(err)
		}
		h.deliver(mid, c.ok)
		ids = append(ids, mid)
	}
	waitFor(t, "the outbox to empty", func() bool {
		rs, err := h.st.Reports("demo", 0, 10)
		return err == nil && len(rs) == 0
	})
	var got []string
	for _, d := range rc.all() {
		rid, _ := d.TLVs.ReceiptedMessageID()
		got = append(got, rid)
	}
	want := []string{ids[3].String(), ids[4].String()} // the failure asked for with 2, and the 1
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("receipts for %v, want %v", got, want)
	}
}
