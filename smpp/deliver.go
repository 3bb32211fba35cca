package smpp

import (
	"errors"

	"github.com/msgrelay/relay/smpp/pdu"
)

// handleLoop is one deliver_sm worker: it runs OnDeliver and only then
// writes deliver_sm_resp, with ESME_OK, or with ESME_RX_T_APPN (or the
// pdu.Status the handler's error wraps) so the SMSC delivers again.
func (c *conn) handleLoop() {
	defer c.wg.Done()
	for {
		var p *pdu.PDU
		select {
		case p = <-c.deliv:
		case <-c.done:
			return
		}
		st := pdu.StatusOK
		if h := c.b.cfg.OnDeliver; h != nil {
			if err := h(c.ctx, p.Body.(*pdu.DeliverSM)); err != nil {
				st = pdu.StatusRxTAppn
				var es pdu.Status
				if errors.As(err, &es) && es != pdu.StatusOK {
					st = es
				}
				c.b.m.deliverErr.Inc()
				c.b.logErr("smpp: deliver_sm handler failed", err)
			}
		}
		c.b.m.delivered.Inc()
		c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMRespID, Status: st, Sequence: p.Sequence}, Body: &pdu.DeliverSMResp{}})
	}
}
