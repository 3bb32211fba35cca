package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// bind reads and answers the first frame; it reports whether the
// connection is bound. Nothing but a Bind is taken before that.
func (c *conn) bind() bool {
	m := c.srv.m
	var f upstreampb.Frame
	if err := c.fr.Read(&f); err != nil {
		if !errors.Is(err, io.EOF) {
			m.frameErrors.Inc()
		}
		if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrBadFrame) || errors.Is(err, ErrEmptyFrame) {
			// Not this protocol, or a broken client: say so before closing.
			c.writeDirect(errorFrame(0, upstreampb.Status_INVALID_REQUEST, err.Error()))
		}
		c.log.Debug("no bind", "err", err)
		return false
	}
	m.framesIn.Inc()
	b := f.GetBind()
	if b == nil {
		m.bind(upstreampb.Status_UNAUTHENTICATED)
		c.writeDirect(&upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_Error{Error: &upstreampb.Error{
			Status: upstreampb.Status_UNAUTHENTICATED, Reason: "bind first",
		}}})
		return false
	}
	status, reason := c.authenticate(b)
	b.Secret = ""
	cfg := &c.srv.cfg
	resp := &upstreampb.BindResp{
		Status:       status,
		Reason:       reason,
		Version:      min(b.Version, Version),
		MaxInFlight:  uint32(cfg.MaxInFlight),
		MaxFrameSize: uint32(cfg.MaxFrameSize),
	}
	m.bind(status)
	if status != upstreampb.Status_OK {
		if c.srv.logs.Allow() { // a flood of bad binds is counted, not logged line by line
			c.log.Info("bind refused", "customer", b.Customer, "client", b.ClientName, "status", status.String(), "reason", reason)
		}
	} else {
		c.log.Info("bound", "customer", b.Customer, "client", b.ClientName, "version", resp.Version)
	}
	ok := c.writeDirect(&upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_BindResp{BindResp: resp}})
	return ok && status == upstreampb.Status_OK
}

// authenticate decides a Bind. It never logs the secret.
func (c *conn) authenticate(b *upstreampb.Bind) (upstreampb.Status, string) {
	if b.Version < MinVersion {
		return upstreampb.Status_INVALID_REQUEST,
			fmt.Sprintf("protocol version %d not supported (%d..%d)", b.Version, MinVersion, Version)
	}
	if b.Customer == "" {
		return upstreampb.Status_UNAUTHENTICATED, "customer missing"
	}
	s := c.srv
	if !s.auth.allowed(c.remote) {
		return upstreampb.Status_THROTTLED, "too many failed binds from this address"
	}
	ctx, cancel := context.WithTimeout(c.ctx, s.cfg.BindTimeout)
	defer cancel()
	sess, err := s.h.Authenticate(ctx, b.Customer, b.Secret, c.remote)
	switch {
	case errors.Is(err, ErrUnauthenticated):
		s.auth.failed(c.remote)
		return upstreampb.Status_UNAUTHENTICATED, "wrong customer or secret"
	case errors.Is(err, ErrCustomerSuspended):
		return upstreampb.Status_CUSTOMER_SUSPENDED, "customer suspended"
	case err != nil:
		// Not the client's fault: it may bind again later.
		c.log.Warn("authenticate failed", "customer", b.Customer, "err", err)
		return upstreampb.Status_STORE_UNAVAILABLE, "temporarily unavailable"
	case sess == nil:
		return upstreampb.Status_STORE_UNAVAILABLE, "temporarily unavailable"
	}
	customer := sess.Customer()
	claims := s.claimCustomer(customer)
	if claims == nil {
		return upstreampb.Status_THROTTLED, "too many connections for this customer"
	}
	claims.join(c)
	c.sess, c.customer, c.claims = sess, customer, claims
	return upstreampb.Status_OK, ""
}

// writeDirect writes one frame before the writer goroutine runs.
func (c *conn) writeDirect(f *upstreampb.Frame) bool {
	b, err := AppendFrame(nil, f)
	if err != nil {
		return false
	}
	if _, err := c.rw.Write(b); err != nil {
		c.log.Debug("write failed", "err", err)
		return false
	}
	c.srv.m.framesOut.Inc()
	return true
}
