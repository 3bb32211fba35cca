package upstream

import (
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// submitLoop is one of the connection's fixed submit workers. It takes
// every submit that is waiting (up to MaxBatch) and hands them to the
// Handler in one call, so a daemon that group-commits pays one sync for a
// whole burst; several workers per connection keep the store busy while
// one batch waits for its sync, and their answers come back out of order.
func (c *conn) submitLoop() {
	maxBatch := c.srv.cfg.MaxBatch
	batch := make([]pendingSubmit, 0, maxBatch)
	reqs := make([]*upstreampb.Submit, 0, maxBatch)
	resps := make([]*upstreampb.SubmitResp, 0, maxBatch)
	for {
		p, ok := <-c.submitQ
		if !ok {
			return
		}
		batch = append(batch[:0], p)
	fill:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-c.submitQ:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		c.runBatch(batch, reqs[:0], resps[:0])
		clear(batch)
	}
}

func (c *conn) runBatch(batch []pendingSubmit, reqs []*upstreampb.Submit, resps []*upstreampb.SubmitResp) {
	m := c.srv.m
	n := len(batch)
	defer func() {
		m.inFlight.Add(-n)
		for range n {
			<-c.slots
		}
	}()
	if c.aborted.Load() {
		// Nobody can read the answers; the client resubmits with the same
		// client references.
		return
	}
	for _, p := range batch {
		reqs = append(reqs, p.req)
		resps = append(resps, &upstreampb.SubmitResp{})
	}
	c.srv.h.SubmitBatch(c.ctx, c.sess, reqs, resps)
	b := getBuf()
	var op upstreampb.Frame_SubmitResp
	f := upstreampb.Frame{Op: &op}
	for i, p := range batch {
		r := resps[i]
		if r.Status == upstreampb.Status_STATUS_UNSPECIFIED {
			r.Status, r.Reason = upstreampb.Status_STORE_UNAVAILABLE, "no answer"
		}
		f.Seq, op.SubmitResp = p.seq, r
		var err error
		if *b, err = AppendFrame(*b, &f); err != nil {
			c.log.Error("cannot encode submit response", "err", err)
		}
	}
	clear(reqs)
	clear(resps)
	m.submits.Add(n)
	m.framesOut.Add(n)
	c.out <- b
}
