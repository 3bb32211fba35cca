package smpptest

import (
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// An SMSC keeps a receipt until the ESME accepts it. The server remembers
// each deliver_sm it sent until its deliver_sm_resp; one refused (any
// error status) is sent again after Config.RedeliverDelay, on whichever
// receiving socket of the system_id is open then, up to
// Config.MaxRedeliveries times; each further refusal of the same receipt
// doubles its wait, up to Config.RedeliverMaxDelay (redeliverWait). A socket that closes forgets what it had
// outstanding, as the receipt would then be redelivered by a real SMSC on
// its own schedule; tests that need that use Kick and count.

type outstanding struct {
	d       *pdu.DeliverSM
	attempt int
}

// deliver sends d as a deliver_sm on p and remembers it. A socket that
// has closed (it was chosen while open) takes nothing: its outstanding
// receipts were handed on once, when it closed, so d is kept for the
// next bind instead.
func (p *peer) deliver(d *pdu.DeliverSM, attempt int) bool {
	seq := p.seq.Add(1)
	p.mu.Lock()
	if p.mu.gone {
		p.mu.Unlock()
		p.s.keepOrDrop(p.systemID(), d)
		return false
	}
	if p.mu.outstanding == nil {
		p.mu.outstanding = make(map[uint32]outstanding)
	}
	if len(p.mu.outstanding) < p.s.cfg.MaxPending {
		p.mu.outstanding[seq] = outstanding{d: d, attempt: attempt}
	}
	p.mu.Unlock()
	if p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMID, Sequence: seq}, Body: d}) {
		return true
	}
	p.mu.Lock()
	_, mine := p.mu.outstanding[seq] // else close has kept it already
	delete(p.mu.outstanding, seq)
	p.mu.Unlock()
	if mine {
		p.s.keepOrDrop(p.systemID(), d)
	}
	return false
}

// delivered handles a deliver_sm_resp.
func (p *peer) delivered(q *pdu.PDU) {
	p.mu.Lock()
	o, ok := p.mu.outstanding[q.Sequence]
	delete(p.mu.outstanding, q.Sequence)
	p.mu.Unlock()
	if q.Status == pdu.StatusOK {
		p.s.deliverAcks.Add(1)
		return
	}
	p.s.deliverNacks.Add(1)
	if !ok || p.s.cfg.MaxRedeliveries < 0 || o.attempt >= p.s.cfg.MaxRedeliveries {
		return
	}
	if !p.s.schedule(p.s.redeliverWait(o.attempt), func() {
		if _, ok := p.s.route(p, o.d, o.attempt+1, false); ok {
			p.s.redelivered.Add(1)
		}
	}) {
		p.s.receiptsDropped.Add(1) // closed, or MaxPending timers: counted, not forgotten
	}
}

// redeliverWait is how long a receipt refused on its attempt-th
// redelivery (0: its first send) waits before it is sent again:
// RedeliverDelay doubled attempt times, at most RedeliverMaxDelay, less a
// random part of up to a quarter.
func (s *Server) redeliverWait(attempt int) time.Duration {
	d := s.cfg.RedeliverMaxDelay
	if attempt < 32 {
		d = min(d, s.cfg.RedeliverDelay<<attempt)
	}
	if d <= 0 { // overflowed
		d = s.cfg.RedeliverMaxDelay
	}
	s.mu.Lock()
	cut := time.Duration(s.mu.rnd.Int64N(int64(d/4) + 1))
	s.mu.Unlock()
	return d - cut
}
