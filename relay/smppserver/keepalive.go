package smppserver

import (
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// request sends one of the server's own requests (deliver_sm,
// enquire_link) and files done for its response; done gets nil if none
// comes within ResponseTimeout or the connection ends. It must not block.
func (c *conn) request(p *pdu.PDU, deliver bool, done func(*pdu.PDU)) bool {
	p.Sequence = c.nextSeq()
	c.mu.Lock()
	c.mu.pending[p.Sequence] = &request{sent: time.Now(), deliver: deliver, done: done}
	if deliver {
		c.mu.delivering++
	}
	c.mu.Unlock()
	if !c.send(p) {
		if r := c.take(p.Sequence); r != nil {
			r.done(nil)
		}
		return false
	}
	return true
}

// take removes and returns the pending request seq, or nil.
func (c *conn) take(seq uint32) *request {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.mu.pending[seq]
	if r != nil {
		delete(c.mu.pending, seq)
		if r.deliver {
			c.mu.delivering--
		}
	}
	return r
}

// resolve hands a response to the request it answers.
func (c *conn) resolve(p *pdu.PDU) {
	if r := c.take(p.Sequence); r != nil {
		r.done(p)
	}
}

// deliverRoom reports whether the bind can take one more receipt.
func (c *conn) deliverRoom() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.delivering < c.srv.cfg.DeliverWindow
}

// failPending answers every pending request with nil.
func (c *conn) failPending() {
	c.mu.Lock()
	rs := c.mu.pending
	c.mu.pending = make(map[uint32]*request)
	c.mu.delivering = 0
	c.mu.Unlock()
	for _, r := range rs {
		r.done(nil)
	}
}

// keepalive sends enquire_link after EnquireLink without a PDU from the
// ESME, closes the socket when one goes unanswered, and times out the
// server's other requests.
func (c *conn) keepalive(stop <-chan struct{}) {
	cfg := &c.srv.cfg
	t := time.NewTicker(max(min(cfg.EnquireLink, cfg.ResponseTimeout)/4, 5*time.Millisecond))
	defer t.Stop()
	var probing atomic.Bool
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
		now := time.Now()
		var late []*request
		c.mu.Lock()
		for seq, r := range c.mu.pending {
			if now.Sub(r.sent) >= cfg.ResponseTimeout {
				delete(c.mu.pending, seq)
				if r.deliver {
					c.mu.delivering--
				}
				late = append(late, r)
			}
		}
		c.mu.Unlock()
		for _, r := range late {
			r.done(nil)
		}
		if probing.Load() || now.Sub(time.Unix(0, c.lastRead.Load())) < cfg.EnquireLink {
			continue
		}
		probing.Store(true)
		c.request(&pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkID}}, false, func(p *pdu.PDU) {
			if p == nil {
				c.log.Info("enquire_link unanswered; closing")
				c.close()
				return
			}
			probing.Store(false)
		})
	}
}
