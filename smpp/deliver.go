package smpp

import (
	"errors"

	"github.com/msgrelay/relay/smpp/pdu"
)

// emptyDeliverSMResp is the body of every deliver_sm_resp: encoding only
// reads it.
var emptyDeliverSMResp = &pdu.DeliverSMResp{}

// maxDeliverBatch bounds the deliver_sm one OnDeliverBatch call takes.
const maxDeliverBatch = 128

// handleLoop is one deliver_sm worker: it runs OnDeliver (or OnDeliverBatch
// on every deliver_sm already waiting) and only then writes deliver_sm_resp,
// with ESME_OK, or with ESME_RX_T_APPN (or the pdu.Status the handler's
// error wraps) so the SMSC delivers again.
func (c *conn) handleLoop() {
	defer c.wg.Done()
	var ps []*pdu.PDU
	var ds []*pdu.DeliverSM
	var errs []error
	for {
		var p *pdu.PDU
		select {
		case p = <-c.deliv: // a deliver_sm waiting: one full select saved
			select {
			case <-c.done: // a dead conn's receipts come again on the next
				return
			default:
			}
		default:
			select {
			case p = <-c.deliv:
			case <-c.done:
				return
			}
		}
		ps = append(ps[:0], p)
		if c.b.cfg.OnDeliverBatch != nil {
			// Take what has arrived, without waiting for more.
		more:
			for len(ps) < maxDeliverBatch {
				select {
				case p := <-c.deliv:
					ps = append(ps, p)
				default:
					break more
				}
			}
		}
		if cap(errs) < len(ps) {
			errs = make([]error, maxDeliverBatch)
		}
		errs = errs[:len(ps)]
		clear(errs)
		switch {
		case c.b.cfg.OnDeliverBatch != nil:
			ds = ds[:0]
			for _, p := range ps {
				ds = append(ds, p.Body.(*pdu.DeliverSM))
			}
			c.b.cfg.OnDeliverBatch(c.ctx, ds, errs)
			clear(ds)
		case c.b.cfg.OnDeliver != nil:
			errs[0] = c.b.cfg.OnDeliver(c.ctx, p.Body.(*pdu.DeliverSM))
		}
		for i, p := range ps {
			st := pdu.StatusOK
			if err := errs[i]; err != nil {
				st = pdu.StatusRxTAppn
				var es pdu.Status
				if errors.As(err, &es) && es != pdu.StatusOK {
					st = es
				}
				c.b.m.deliverErr.Inc()
				c.b.logErr("smpp: deliver_sm handler failed", err)
			}
			c.b.m.delivered.Inc()
			c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMRespID, Status: st, Sequence: p.Sequence}, Body: emptyDeliverSMResp})
		}
		clear(ps)
	}
}
