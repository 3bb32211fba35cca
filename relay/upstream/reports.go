package upstream

import (
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// reportRetry is how long the reporter waits after the source failed.
const reportRetry = time.Second

// reportLoop pushes the session's reports and passes acknowledgements back
// to the source. At most MaxUnackedReports are out at once; a report sent
// and not acknowledged on this connection is sent again on a later one
// (the source keeps it until Ack).
func (c *conn) reportLoop(src ReportSource, stop <-chan struct{}) {
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
	unacked := make(map[uint64]struct{})
	var after uint64
	var retry <-chan time.Time
	for {
		if retry == nil && len(unacked) < max && !c.aborted.Load() {
			reps, err := src.Next(c.ctx, after, max-len(unacked))
			if err != nil {
				if c.ctx.Err() == nil {
					c.log.Warn("reading reports failed", "customer", c.customer, "err", err)
				}
				retry = time.After(reportRetry)
			} else if len(reps) > 0 {
				after = c.pushReports(reps, unacked, after)
				continue
			}
		}
		select {
		case <-src.Notify():
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

func (c *conn) pushReports(reps []*upstreampb.Report, unacked map[uint64]struct{}, after uint64) uint64 {
	b := getBuf()
	var op upstreampb.Frame_Report
	f := upstreampb.Frame{Op: &op}
	n := 0
	for _, r := range reps {
		if r == nil || r.ReportSeq <= after {
			continue // the source broke its order; never send a seq twice here
		}
		op.Report = r
		var err error
		if *b, err = AppendFrame(*b, &f); err != nil {
			c.log.Error("cannot encode report", "err", err)
			continue
		}
		unacked[r.ReportSeq] = struct{}{}
		after = r.ReportSeq
		n++
	}
	c.srv.m.reportsOut.Add(n)
	c.srv.m.framesOut.Add(n)
	c.out <- b
	return after
}

func (c *conn) ackReports(src ReportSource, seqs []uint64, unacked map[uint64]struct{}) {
	valid := seqs[:0]
	for _, s := range seqs {
		if _, ok := unacked[s]; ok {
			delete(unacked, s)
			valid = append(valid, s)
		}
	}
	if len(valid) == 0 {
		return
	}
	c.srv.m.reportsAck.Add(len(valid))
	if err := src.Ack(c.ctx, valid); err != nil {
		// The outbox still has them: they come again on the next connection.
		c.log.Warn("recording report acks failed", "customer", c.customer, "err", err)
	}
}
