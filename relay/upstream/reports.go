package upstream

import (
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// reportRetry is how long the reporter waits after the source failed.
const reportRetry = time.Second

// reportLoop pushes the session's reports and passes acknowledgements back
// to the source. At most MaxUnackedReports are out at once. A report is
// pushed on one of the customer's connections at a time (reportClaims);
// one sent and not acknowledged is sent again after the connection that
// held it ends, on another connection or a later one (the source keeps it
// until Ack).
func (c *conn) reportLoop(src ReportSource, stop <-chan struct{}) {
	unacked := make(map[uint64]struct{})
	defer func() { c.claims.leave(c, unacked) }()
	if src == nil {
		for {
			select {
			case <-c.acks:
			case <-stop:
				return
			}
		}
	}
	max := c.srv.cfg.MaxUnackedReports
	var after uint64 // the outbox is read past this seq
	// more says the outbox may hold reports past after: at the start, on
	// a notification, and after a read that filled the window. A read
	// that came back short saw all there was, and an acknowledgement adds
	// nothing to read: neither is worth another read (each one opens an
	// iterator and waits for the sync of what it saw).
	more := true
	var retry <-chan time.Time
	for {
		if more && retry == nil && len(unacked) < max && !c.aborted.Load() {
			limit := max - len(unacked)
			c.claims.read(c)
			reps, readTo, err := src.Next(c.ctx, after, limit)
			if err != nil {
				c.claims.endRead(c)
				if c.ctx.Err() == nil {
					c.log.Warn("reading reports failed", "customer", c.customer, "err", err)
				}
				retry = time.After(reportRetry)
			} else {
				more = len(reps) >= limit
				if readTo > after {
					after = c.pushReports(reps, unacked, readTo) // its claim ends the read
				} else {
					c.claims.endRead(c)
				}
				if more {
					continue
				}
			}
		}
		select {
		case <-src.Notify():
			more = true
		case <-c.rewind:
			after, more = 0, true
		case <-retry:
			retry = nil
		case seqs := <-c.acks:
			c.ackReports(src, seqs, unacked)
		case <-stop:
			// The reader has stopped: take the acks it passed on.
			for {
				select {
				case seqs := <-c.acks:
					c.ackReports(src, seqs, unacked)
				default:
					return
				}
			}
		}
	}
}

// pushReports sends the reports no other connection holds and returns the
// seq the outbox has been read to.
func (c *conn) pushReports(reps []*upstreampb.Report, unacked map[uint64]struct{}, after uint64) uint64 {
	for _, r := range reps {
		if r != nil && r.ReportSeq > after {
			after = r.ReportSeq // read past, whoever sends it
		}
	}
	reps = c.claims.claim(c, reps)
	if len(reps) == 0 {
		return after
	}
	b := getBuf()
	var op upstreampb.Frame_Report
	f := upstreampb.Frame{Op: &op}
	n := 0
	for _, r := range reps {
		if _, dup := unacked[r.ReportSeq]; dup {
			continue // already out on this connection
		}
		op.Report = r
		var err error
		if *b, err = AppendFrame(*b, &f); err != nil {
			c.log.Error("cannot encode report", "err", err)
			continue
		}
		unacked[r.ReportSeq] = struct{}{}
		n++
	}
	c.srv.m.reportsOut.Add(n)
	c.srv.m.framesOut.Add(n)
	c.out <- b
	return after
}

// ackReports records the client's acknowledgements of reports this
// connection sent. The claims are let go only once the outbox has them,
// so no other connection picks up a report that is being acknowledged.
func (c *conn) ackReports(src ReportSource, seqs []uint64, unacked map[uint64]struct{}) {
	valid := seqs[:0]
	for _, s := range seqs {
		if _, ok := unacked[s]; ok {
			valid = append(valid, s)
		}
	}
	if len(valid) == 0 {
		return
	}
	if err := src.Ack(c.ctx, valid); err != nil {
		// The outbox still has them: they stay held here, and are sent
		// again once this connection ends.
		c.log.Warn("recording report acks failed", "customer", c.customer, "err", err)
		return
	}
	for _, s := range valid {
		delete(unacked, s)
	}
	c.claims.acked(c, valid)
	c.srv.m.reportsAck.Add(len(valid))
}
