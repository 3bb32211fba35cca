package smpptest

import (
	"net"
	"testing"

	"github.com/msgrelay/relay/smpp/pdu"
)

// TestReceiptForAClosedSocketIsKept: a receipt handed to a socket that
// has just closed (chosen while it was open) is kept for the system_id's
// next bind, never forgotten: a socket that closes hands on what it had
// outstanding once, and a receipt must not be recorded as outstanding on
// it after that.
func TestReceiptForAClosedSocketIsKept(t *testing.T) {
	s := NewUnstarted(Config{})
	defer s.Close()
	a, b := net.Pipe()
	defer b.Close()
	p := newPeer(s, a)
	p.mu.systemID, p.mu.kind = "relay", pdu.BindTransceiverID
	s.mu.open["relay"]++
	p.close(false)
	const n = 100
	for range n {
		if p.deliver(&pdu.DeliverSM{ESMClass: 0x04, ShortMessage: []byte("id:1 stat:DELIVRD")}, 0) {
			t.Error("a receipt was taken by a closed socket")
		}
	}
	if kept, dropped := s.keptNow(), s.receiptsDropped.Load(); kept+dropped != n {
		t.Fatalf("%d receipts for a closed socket: %d kept, %d dropped; the rest forgotten", n, kept, dropped)
	}
}
