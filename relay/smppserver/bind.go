package smppserver

import (
	"context"
	"errors"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/logcap"
	"github.com/msgrelay/relay/smpp/pdu"
)

// interfaceVersion is sent in sc_interface_version: SMPP 3.4.
const interfaceVersion = 0x34

// bind reads PDUs until a bind, answers it, and reports whether the
// connection is bound. Before a bind only enquire_link and unbind are
// answered; anything else is ESME_RINVBNDSTS.
func (c *conn) bind() bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.BindTimeout))
	var p *pdu.PDU
	for p == nil {
		q := c.read()
		if q == nil {
			return false
		}
		switch q.Command {
		case pdu.BindTransmitterID, pdu.BindReceiverID, pdu.BindTransceiverID:
			p = q
		case pdu.EnquireLinkID:
			c.send(&pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkRespID, Sequence: q.Sequence}})
		case pdu.UnbindID:
			c.send(&pdu.PDU{Header: pdu.Header{Command: pdu.UnbindRespID, Sequence: q.Sequence}})
			return false
		default:
			if !q.Command.IsResponse() {
				cmd := pdu.GenericNackID
				if q.Command.Known() {
					cmd = q.Command.Response()
				}
				c.send(&pdu.PDU{Header: pdu.Header{Command: cmd, Status: pdu.StatusInvBnd, Sequence: q.Sequence}})
			}
		}
	}
	b := p.Body.(*pdu.Bind)
	st := c.authenticate(b)
	c.srv.unpend(c) // decided: bound ones count in claimBind, refused ones close
	b.Password = ""
	resp := &pdu.BindResp{Kind: p.Command.Response(), SystemID: c.srv.cfg.SystemID}
	resp.TLVs.SetSCInterfaceVersion(interfaceVersion)
	c.send(&pdu.PDU{Header: pdu.Header{Command: p.Command.Response(), Status: st, Sequence: p.Sequence}, Body: resp})
	if st != pdu.StatusOK {
		c.srv.m.bindRefused.Inc()
		if c.srv.logs.Allow("bind_refused", c.remote) {
			c.log.Info("bind refused", "system_id", logcap.Cut(b.SystemID), "status", st.String())
		}
		return false
	}
	c.srv.m.bindOK.Inc()
	c.kind = p.Command
	c.lastRead.Store(time.Now().UnixNano())
	_ = c.nc.SetReadDeadline(time.Time{})
	c.log.Info("bound", "customer", c.customer, "bind", p.Command.String(), "system_type", logcap.Cut(b.SystemType))
	return true
}

// authenticate decides a bind: the shared throttle first, then the
// password, the customer's source networks and its bind cap. It never
// logs the password.
func (c *conn) authenticate(b *pdu.Bind) pdu.Status {
	s := c.srv
	if s.closing() {
		return pdu.StatusSysErr
	}
	ctx, cancel := context.WithTimeout(c.ctx, s.cfg.BindTimeout)
	defer cancel()
	attempt := authguard.Attempt{Account: b.SystemID, Src: c.remote}
	if err := s.auth.Admit(ctx, attempt); err != nil {
		return pdu.StatusBindFail // too many wrong passwords lately, or no check budget before the deadline
	}
	cu, err := s.be.Authenticate(ctx, b.SystemID, b.Password)
	switch {
	case errors.Is(err, ErrUnauthenticated):
		s.auth.Failed(attempt)
		// The same answer for an unknown system_id and a wrong password.
		return pdu.StatusInvPaswd
	case err != nil || cu == nil:
		c.log.Warn("authenticate failed", "system_id", logcap.Cut(b.SystemID), "err", err)
		return pdu.StatusSysErr // not the ESME's fault: it binds again later
	}
	s.auth.Succeeded(attempt)
	if !cu.SMPPFrom(c.remote) {
		c.log.Warn("bind from a network the customer does not allow", "customer", cu.ID)
		return pdu.StatusBindFail
	}
	if !s.claimBind(cu.ID, cu.SMPPBinds) {
		return pdu.StatusBindFail // at the customer's bind cap
	}
	c.customer = cu.ID
	return pdu.StatusOK
}
