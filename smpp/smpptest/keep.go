package smpptest

import (
	"fmt"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// Pending is a receipt the server had not delivered when it closed: due
// at a time, or (Due zero) kept for the next bind of its system_id. With
// the next message number (Kept.NextID) it is what a simulated carrier
// needs to go on across a restart of its process, as a real SMSC does.
type Pending struct {
	SystemID string    `json:"system_id"`
	Due      time.Time `json:"due,omitzero"`
	// PDU is the whole deliver_sm, encoded (header included).
	PDU []byte `json:"pdu"`
}

// Kept is what CloseKeeping hands on to the server that follows.
type Kept struct {
	// NextID is the number the next message id is made from: give it as
	// Config.IDStart, so ids are not handed out again while receipts of
	// the old ones are pending.
	NextID   uint64    `json:"next_id"`
	Receipts []Pending `json:"receipts"`
}

// dueReceipt is a receipt scheduled for later; its body is built when it
// goes out (a cancel_sm may come first).
type dueReceipt struct {
	systemID string
	at       time.Time
	copies   int
	body     func() *pdu.DeliverSM
}

// CloseKeeping closes the server as Close does and returns the receipts
// it had not delivered: scheduled ones, and those kept for a bind that
// never came. Give them to the next server's Restore.
func (s *Server) CloseKeeping() (Kept, error) {
	due, kept := s.close()
	k := Kept{NextID: s.ids.Load() + 1}
	add := func(systemID string, at time.Time, d *pdu.DeliverSM) error {
		b, err := (&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMID, Sequence: 1}, Body: d}).AppendTo(nil)
		if err != nil {
			return err
		}
		k.Receipts = append(k.Receipts, Pending{SystemID: systemID, Due: at, PDU: b})
		return nil
	}
	for _, rc := range due {
		d := rc.body()
		for range rc.copies {
			if err := add(rc.systemID, rc.at, d); err != nil {
				return k, err
			}
		}
	}
	for id, ds := range kept {
		for _, d := range ds {
			if err := add(id, time.Time{}, d); err != nil {
				return k, err
			}
		}
	}
	return k, nil
}

// Restore takes over the receipts an earlier server kept: each goes out
// at its due time (at once if it has passed) to a bound receiving socket
// of its system_id, or waits for the next one.
func (s *Server) Restore(ps []Pending) error {
	for _, p := range ps {
		q, err := pdu.Decode(p.PDU, 0)
		if err != nil {
			return fmt.Errorf("smpptest: restore: %w", err)
		}
		d, ok := q.Body.(*pdu.DeliverSM)
		if !ok {
			return fmt.Errorf("smpptest: restore: a %v is no receipt", q.Command)
		}
		wait := p.Due.Sub(s.cfg.Clock.Now())
		if p.Due.IsZero() || wait <= 0 {
			s.sendKept(p.SystemID, d)
			continue
		}
		rc := &dueReceipt{systemID: p.SystemID, copies: 1, body: func() *pdu.DeliverSM { return d }}
		if !s.scheduleReceipt(wait, rc, func() { s.sendKept(p.SystemID, d) }) {
			s.receiptsDropped.Add(1)
		}
	}
	return nil
}

// sendKept sends d to a bound receiving socket of systemID, or keeps it
// for the next one.
func (s *Server) sendKept(systemID string, d *pdu.DeliverSM) {
	to := s.boundReceiver(systemID, nil, "")
	if to == nil {
		s.keepOrDrop(systemID, d)
		return
	}
	if to.deliver(d, 0) {
		s.receipts.Add(1)
	}
}
