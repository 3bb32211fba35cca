package smppserver

import (
	"slices"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/store"
)

// maxReceiptBackoff caps the wait between two offers of a refused receipt.
const maxReceiptBackoff = 10 * time.Minute

// pump sends one customer's receipts over its receiver and transceiver
// binds, from the store's durable report outbox: a receipt leaves the
// outbox only when the ESME has answered its deliver_sm with ESME_ROK. One
// refused, unanswered or lost with its socket is offered again, with a
// growing pause, on whichever bind has room, until ReceiptMaxAge after the
// final result. A customer's receipts left unacknowledged when its last
// bind goes are read again from the outbox by its next bind.
type pump struct {
	srv      *Server
	customer string
	kick     chan struct{} // capacity 1: a bind came or went, or an answer came
	stop     chan struct{}

	mu struct {
		sync.Mutex
		conns   []*conn
		next    int // round robin over conns
		results []delivered
		acked   []uint64    // recorded in the outbox
		ackErr  *ackFailure // not recorded
	}
}

type delivered struct {
	seq uint64
	ok  bool
}

// flight is a receipt the pump holds: out on a bind, or waiting to go
// again at due.
type flight struct {
	rp       store.Report
	m        *message.Message
	out      bool
	acking   bool // the ESME took it; its acknowledgement is being written
	attempts int
	due      time.Time
}

// joinPump adds a receiving bind to its customer's pump, starting it.
func (s *Server) joinPump(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mu.pumps[c.customer]
	if p == nil {
		p = &pump{srv: s, customer: c.customer, kick: make(chan struct{}, 1), stop: make(chan struct{})}
		s.mu.pumps[c.customer] = p
		s.wg.Add(1)
		go p.run()
	}
	p.mu.Lock()
	p.mu.conns = append(p.mu.conns, c)
	p.mu.Unlock()
	p.poke()
}

// leavePump takes a bind out of its customer's pump, stopping the pump
// with the last one. Receipts out on c come back as failed (failPending).
func (s *Server) leavePump(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mu.pumps[c.customer]
	if p == nil {
		return
	}
	p.mu.Lock()
	p.mu.conns = slices.DeleteFunc(p.mu.conns, func(o *conn) bool { return o == c })
	last := len(p.mu.conns) == 0
	p.mu.Unlock()
	if last {
		delete(s.mu.pumps, c.customer)
		close(p.stop)
	}
}

func (p *pump) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *pump) result(seq uint64, ok bool) {
	p.mu.Lock()
	p.mu.results = append(p.mu.results, delivered{seq, ok})
	p.mu.Unlock()
	p.poke()
}

// pick returns a bind with room for one more receipt, round robin, and
// how many binds there are.
func (p *pump) pick() (*conn, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.mu.conns)
	for i := range n {
		c := p.mu.conns[(p.mu.next+i)%n]
		if c.deliverRoom() {
			p.mu.next = (p.mu.next + i + 1) % n
			return c, n
		}
	}
	return nil, n
}

func (p *pump) run() {
	s := p.srv
	defer s.wg.Done()
	wake, unwatch := s.be.Watch(p.customer)
	if unwatch != nil {
		defer unwatch()
	}
	if wake == nil {
		return // the customer gets its reports another way
	}
	ctx := s.ctx
	// Acknowledgements are written by their own goroutine, one batch at a
	// time, so receipts keep going out while a batch waits for its commit.
	ackq := make(chan []uint64)
	ackDone := make(chan struct{})
	go func() {
		defer close(ackDone)
		for batch := range ackq {
			p.ackResult(batch, s.be.AckReports(ctx, p.customer, batch...))
		}
	}()
	defer func() {
		close(ackq)
		<-ackDone
	}()
	flights := make(map[uint64]*flight)
	var after uint64 // the outbox is read past this seq
	var toAck []uint64
	acking := false
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := s.cfg.Now()
		p.mu.Lock()
		results, acked, ackErr := p.mu.results, p.mu.acked, p.mu.ackErr
		p.mu.results, p.mu.acked, p.mu.ackErr = nil, nil, nil
		p.mu.Unlock()
		for _, r := range results {
			f := flights[r.seq]
			if f == nil || !f.out {
				continue
			}
			f.out = false
			if r.ok {
				f.acking = true
				toAck = append(toAck, r.seq)
				continue
			}
			s.m.receiptRefused.Inc()
			f.attempts++
			f.due = now.Add(min(s.cfg.ReceiptRetry<<min(f.attempts-1, 20), maxReceiptBackoff))
		}
		if acked != nil || ackErr != nil {
			acking = false
		}
		for _, seq := range acked {
			delete(flights, seq)
		}
		s.m.receiptAcked.Add(len(acked))
		if ackErr != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("recording receipt acks failed", "customer", p.customer, "err", ackErr.err)
			toAck = append(toAck, ackErr.seqs...) // the outbox still has them: try again
		}
		if !acking && len(toAck) > 0 {
			select {
			case ackq <- toAck:
				acking, toAck = true, nil
			case <-ctx.Done():
				return
			}
		}
		out := 0
		var next time.Time
		for _, f := range flights {
			switch {
			case f.out:
				out++
			case f.acking:
			case f.rp.FinalAt.Add(s.cfg.ReceiptMaxAge).Before(now):
				s.m.receiptGiveUp.Inc() // left in the outbox for any other reader
				delete(flights, f.rp.Seq)
			case !f.due.After(now):
				if p.send(f) {
					out++
				} else if next.IsZero() || f.due.Before(next) {
					next = now.Add(s.cfg.ReceiptRetry)
				}
			case next.IsZero() || f.due.Before(next):
				next = f.due
			}
		}
		_, binds := p.pick()
		room := s.cfg.DeliverWindow*binds - out
		if room > 0 && len(flights) < 4*s.cfg.DeliverWindow*max(binds, 1) {
			n, err := p.read(flights, &after, room, now, &toAck)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("reading the report outbox failed", "customer", p.customer, "err", err)
				next = now.Add(s.cfg.ReceiptRetry)
			} else if n == room || (len(toAck) > 0 && !acking) {
				continue // there may be more, or reports to take out unsent
			}
		}
		if !next.IsZero() {
			timer.Reset(max(next.Sub(now), time.Millisecond))
		}
		select {
		case <-wake:
		case <-p.kick:
		case <-timer.C:
		case <-p.stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// ackFailure is a batch of acknowledgements the outbox did not record.
type ackFailure struct {
	seqs []uint64
	err  error
}

// ackResult hands the outcome of one batch of acknowledgements back to the
// pump's loop.
func (p *pump) ackResult(seqs []uint64, err error) {
	p.mu.Lock()
	if err != nil {
		p.mu.ackErr = &ackFailure{seqs, err}
	} else {
		p.mu.acked = seqs
	}
	p.mu.Unlock()
	p.poke()
}

// read takes up to limit reports past *after from the outbox, keeps those
// of messages that came in by SMPP, and sends them; those whose submit
// asked for no receipt of their result (registered_delivery) go to toAck
// unsent. It returns how many reports it read.
func (p *pump) read(flights map[uint64]*flight, after *uint64, limit int, now time.Time, toAck *[]uint64) (int, error) {
	s := p.srv
	rs, err := s.be.Reports(p.customer, *after, limit)
	if err != nil {
		return 0, err
	}
	for i := range rs {
		rp := rs[i]
		*after = max(*after, rp.Seq)
		if rp.Ingress.ReportDoor() != message.IngressSMPP || flights[rp.Seq] != nil || rp.FinalAt.Add(s.cfg.ReceiptMaxAge).Before(now) {
			continue // another door's report, or one already out or too old
		}
		m, err := s.be.Message(rp.ID)
		if err != nil || m == nil {
			continue // its record is gone: nothing to address a receipt with
		}
		f := &flight{rp: rp, m: m, due: now}
		flights[rp.Seq] = f
		if !m.Receipts.Wants(rp.State) {
			f.acking = true
			*toAck = append(*toAck, rp.Seq)
			s.m.receiptNotAsked.Inc()
			continue
		}
		p.send(f)
	}
	return len(rs), nil
}

// send offers f on a bind with room; false when none has.
func (p *pump) send(f *flight) bool {
	c, _ := p.pick()
	if c == nil {
		return false
	}
	seq := f.rp.Seq
	f.out = true
	ok := c.request(receiptPDU(&f.rp, f.m), true, func(resp *pdu.PDU) {
		p.result(seq, resp != nil && resp.Status == pdu.StatusOK)
	})
	if ok {
		p.srv.m.receiptSent.Inc()
	}
	return true // a failed write comes back through the result
}
