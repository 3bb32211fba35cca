package upstream

import (
	"sync"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// submitLoop is one of the connection's submit workers (at most
// SubmitWorkers run at once, started by the queue). It takes every submit
// that is waiting (up to MaxBatch) and hands them to the Handler in one
// call (payment events, which share the queue and the window, one by one), so a daemon that group-commits pays one sync for a whole burst;
// several workers per connection keep a batch forming while another waits
// for its sync, and their answers come back out of order.
func (c *conn) submitLoop() {
	maxBatch := c.srv.cfg.MaxBatch
	// A worker lives as long as the queue has work, often for a batch or
	// two: its buffers come from the workers before it.
	w := batchPool.Get().(*batchBuffers)
	defer batchPool.Put(w)
	for first := true; ; first = false {
		var ok bool
		if w.batch, ok = c.submitQ.take(w.batch[:0], maxBatch, first); !ok {
			return
		}
		c.runBatch(w.batch, w)
		clear(w.batch)
	}
}

// batchBuffers are a worker's, reused for every batch and then by the
// workers after it: the Handler keeps neither the requests nor the
// answers after SubmitBatch returns, and each is cleared after its batch.
type batchBuffers struct {
	batch   []pendingSubmit
	reqs    []*upstreampb.Submit
	resps   []*upstreampb.SubmitResp
	answers []upstreampb.SubmitResp // what resps point to
}

var batchPool = sync.Pool{New: func() any { return new(batchBuffers) }}

func (c *conn) runBatch(batch []pendingSubmit, w *batchBuffers) {
	m := c.srv.m
	n := len(batch)
	// The window slots are freed after the answers are queued: until then
	// the reader may not take more.
	defer func() {
		for range n {
			<-c.slots
		}
	}()
	if c.aborted.Load() {
		// Nobody can read the answers; the client resubmits with the same
		// client references.
		recycle(batch)
		m.inFlight.Add(-float64(n))
		return
	}
	if cap(w.answers) < n {
		w.answers = make([]upstreampb.SubmitResp, n)
	}
	reqs, resps := w.reqs[:0], w.resps[:0]
	for _, p := range batch {
		if p.pay == nil {
			r := &w.answers[len(resps)]
			r.Reset()
			reqs = append(reqs, p.req)
			resps = append(resps, r)
		}
	}
	w.reqs, w.resps = reqs, resps
	if len(reqs) > 0 {
		c.srv.h.SubmitBatch(c.ctx, c.sess, reqs, resps)
	}
	// The handler kept no request: they go back for the next frames.
	recycle(batch)
	if c.aborted.Load() {
		// Aborted while the handler ran (Close gave up waiting for it): its
		// answers were given under a cancelled ctx and must not reach the
		// client, which sends the submits again on another connection.
		clear(reqs)
		clear(resps)
		m.inFlight.Add(-float64(n))
		return
	}
	b := getBuf()
	var op upstreampb.Frame_SubmitResp
	f := upstreampb.Frame{Op: &op}
	j := 0
	for _, p := range batch {
		var err error
		if p.pay != nil {
			pf := upstreampb.Frame{Seq: p.seq, Op: &upstreampb.Frame_PaymentEventResp{PaymentEventResp: c.payment(p.pay)}}
			if *b, err = AppendFrame(*b, &pf); err != nil {
				c.log.Error("cannot encode payment event response", "err", err)
			}
			continue
		}
		r := resps[j]
		j++
		if r.Status == upstreampb.Status_STATUS_UNSPECIFIED {
			r.Status, r.Reason = upstreampb.Status_STORE_UNAVAILABLE, "no answer"
		}
		f.Seq, op.SubmitResp = p.seq, r
		if *b, err = AppendFrame(*b, &f); err != nil {
			c.log.Error("cannot encode submit response", "err", err)
		}
	}
	clear(reqs)
	clear(resps)
	m.submits.Add(len(reqs))
	m.framesOut.Add(n)
	m.inFlight.Add(-float64(n)) // before the answers can reach the client
	c.out <- b
}

// recycle gives the batch's Submits back to submitPool; nothing reads them
// after.
func recycle(batch []pendingSubmit) {
	for i := range batch {
		p := &batch[i]
		if p.hot != nil {
			putSubmit(p.hot)
			p.req, p.hot = nil, nil
		}
	}
}

// payment answers one payment event through the PaymentHandler.
func (c *conn) payment(ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	resp := c.srv.h.(PaymentHandler).PaymentEvent(c.ctx, c.sess, ev)
	if resp == nil {
		resp = &upstreampb.PaymentEventResp{}
	}
	if resp.Status == upstreampb.Status_STATUS_UNSPECIFIED {
		resp.Status, resp.Reason = upstreampb.Status_STORE_UNAVAILABLE, "no answer"
	}
	return resp
}
