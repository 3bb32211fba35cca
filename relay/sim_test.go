package relay

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// withSimulatedCarriers serves carriers a and b by the daemon's own
// simulated SMSCs (addr "sim"), their receipts a minute after each submit
// on the harness's clock.
func withSimulatedCarriers(s *setup) {
	for i := range s.cfg.Carriers {
		delete(s.sims, s.cfg.Carriers[i].Name)
		s.cfg.Carriers[i].Addr = "sim"
	}
	s.cfg.Simulate.ReceiptDelay = Duration(time.Minute)
	s.cfg.Simulate.clock = s.clock
}

// The simulated carriers keep the receipts they had not sent at a stop in
// the data directory, and send them after the restart: a message sent
// before a restart of the dev relay is delivered, not left sent until its
// validity runs out.
func TestSimulatedCarriersKeepReceiptsAcrossRestart(t *testing.T) {
	h := newHarness(t, withSimulatedCarriers)
	u := h.connect("shop")
	r := h.submit(u, sms("sim-1", "before the restart"))
	if r.Status != upstreampb.Status_OK {
		t.Fatal(r)
	}
	id := mustID(t, r.MessageId)
	h.waitFor("the message sent", func() bool {
		m, err := h.d.Store().Get(id)
		return err == nil && m.State.String() == "sent"
	})
	h.stop()
	if _, err := os.Stat(filepath.Join(h.cfg.DataDir, simulatedReceiptsFile)); err != nil {
		t.Fatalf("the pending receipt was not kept: %v", err)
	}
	h.start()
	u = h.connect("shop")
	h.now.Advance(time.Minute) // the receipt falls due
	h.waitFor("the message delivered", func() bool {
		m, err := h.d.Store().Get(id)
		return err == nil && m.State.String() == "delivered"
	})
	if _, err := os.Stat(filepath.Join(h.cfg.DataDir, simulatedReceiptsFile)); !os.IsNotExist(err) {
		t.Errorf("the kept receipts' file outlived the start that took them up: %v", err)
	}
	// The restarted simulator numbers on: the next message's receipt is
	// its own.
	r = h.submit(u, sms("sim-2", "after the restart"))
	h.waitFor("the second message sent", func() bool {
		m, err := h.d.Store().Get(mustID(t, r.MessageId))
		return err == nil && m.State.String() == "sent"
	})
	h.now.Advance(time.Minute)
	h.waitFor("the second message delivered", func() bool {
		m, err := h.d.Store().Get(mustID(t, r.MessageId))
		return err == nil && m.State.String() == "delivered"
	})
}
