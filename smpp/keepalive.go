package smpp

import (
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// keepAlive sends enquire_link after EnquireLinkInterval without reading
// anything, closes the conn when one goes unanswered for ResponseTimeout,
// and fails requests older than ResponseTimeout with ErrTimeout.
func (c *conn) keepAlive() {
	defer c.wg.Done()
	cfg := &c.b.cfg
	tick := min(cfg.ResponseTimeout, cfg.EnquireLinkInterval) / 4
	tick = max(tick, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	var probe *call
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		now := time.Now()
		if expired := c.expired(now); expired != nil {
			// Every expired call is answered, the probe last: expired took
			// them out of pending, so failing the conn first would leave
			// the others waiting forever.
			dead := false
			for _, cl := range expired {
				if cl == probe {
					dead = true
					continue
				}
				c.b.finish(cl, nil, &RequestError{Command: cl.cmd, Sequence: cl.seq, Err: ErrTimeout})
			}
			if dead {
				c.b.m.deadPeer.Inc()
				c.b.log.Warn("smpp: enquire_link unanswered, closing", "bind", c.b.name)
				c.fail(&RequestError{Command: pdu.EnquireLinkID, Sequence: probe.seq, Err: ErrTimeout})
				return
			}
		}
		if probe != nil {
			select {
			case <-probe.done:
				probe = nil
			default:
				continue
			}
		}
		if now.Sub(time.Unix(0, c.lastRead.Load())) >= cfg.EnquireLinkInterval {
			probe = newCall()
			p := &pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkID, Sequence: c.b.nextSeq()}}
			if err := c.send(p, probe); err != nil {
				return
			}
		}
	}
}

// expired removes and returns the calls older than ResponseTimeout.
func (c *conn) expired(now time.Time) []*call {
	limit := now.Add(-c.b.cfg.ResponseTimeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*call
	for seq, cl := range c.mu.pending {
		if cl.sent.Before(limit) {
			delete(c.mu.pending, seq)
			out = append(out, cl)
		}
	}
	return out
}
