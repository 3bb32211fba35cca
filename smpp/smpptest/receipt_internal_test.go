package smpptest

import (
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
)

// TestReceiptBodyOneAllocation: a receipt, its text and its TLVs are one
// allocation, and read back as the receipt of the message.
func TestReceiptBodyOneAllocation(t *testing.T) {
	s := &Server{cfg: Config{MaxRecorded: 16, IDWidth: 30}.withDefaults()}
	sm := &pdu.SubmitSM{
		Source:       pdu.Address{Addr: "0212345678"},
		Dest:         pdu.Address{Addr: "01012345678"},
		ShortMessage: []byte("a text longer than the twenty characters a receipt keeps"),
	}
	id := s.formatID(12345, false)
	if len(id) != 30 {
		t.Fatalf("id %q", id)
	}
	at := time.Date(2026, 12, 3, 18, 30, 0, 0, time.UTC)
	if a := testing.AllocsPerRun(100, func() { s.receiptBody(sm, id, false, at) }); a != 1 {
		t.Errorf("%v allocations a receipt, want 1", a)
	}
	d := s.receiptBody(sm, id, true, at)
	r, err := receipt.Parse(string(d.ShortMessage), receipt.TLVs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != id || r.Stat != receipt.StatUndeliverable || r.Text != "a text longer than t" {
		t.Errorf("receipt %+v", r)
	}
	if got, _ := d.TLVs.ReceiptedMessageID(); got != id {
		t.Errorf("receipted_message_id %q, want %q", got, id)
	}
	if st, _ := d.TLVs.MessageState(); st != pdu.StateUndeliverable {
		t.Errorf("message_state %v", st)
	}
	if d.Source != sm.Dest || d.Dest != sm.Source || d.ESMClass != 0x04 {
		t.Errorf("deliver_sm %+v", d)
	}
}
