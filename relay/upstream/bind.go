package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/logcap"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// MaxCustomerLen is the longest customer id a Bind may carry; a longer one
// is refused before anything is looked up or remembered.
const MaxCustomerLen = 64

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
	// The client sent its bind in time. How long the relay takes to decide
	// it (a secret hash on a starved machine) is not the client's to pay:
	// the answer goes out within the write timeout, not the bind deadline.
	c.raw.SetDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
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
	c.srv.unpend(c)
	cfg := &c.srv.cfg
	resp := &upstreampb.BindResp{
		Status:       status,
		Reason:       reason,
		Version:      min(b.Version, Version),
		MaxInFlight:  uint32(cfg.MaxInFlight),
		MaxFrameSize: uint32(cfg.MaxFrameSize),
	}
	m.bind(status)
	// Customer and client name come from the peer: cut before logging.
	if status != upstreampb.Status_OK {
		if c.srv.logs.Allow("bind_refused", c.remote) { // per source: a flood hides only its own lines
			c.log.Info("bind refused", "customer", logcap.Cut(b.Customer), "client", logcap.Cut(b.ClientName),
				"status", status.String(), "reason", reason)
		}
	} else if c.srv.logs.Allow("bound", c.remote) {
		c.log.Info("bound", "customer", logcap.Cut(b.Customer), "client", logcap.Cut(b.ClientName), "version", resp.Version)
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
	if len(b.Customer) > MaxCustomerLen {
		return upstreampb.Status_INVALID_REQUEST, fmt.Sprintf("customer id of %d bytes, at most %d", len(b.Customer), MaxCustomerLen)
	}
	s := c.srv
	// The whole bind shares one deadline: a check that cannot get its turn
	// in the budget before then is refused rather than held.
	ctx, cancel := context.WithDeadline(c.ctx, c.bindDeadline)
	defer cancel()
	attempt := authguard.Attempt{Account: b.Customer, Src: c.remote}
	if err := s.auth.Admit(ctx, attempt); err != nil {
		return upstreampb.Status_THROTTLED, strings.TrimPrefix(err.Error(), "authguard: ")
	}
	sess, err := s.h.Authenticate(ctx, b.Customer, b.Secret, c.remote)
	switch {
	case errors.Is(err, ErrUnauthenticated):
		s.auth.Failed(attempt)
		return upstreampb.Status_UNAUTHENTICATED, "wrong customer or secret"
	case errors.Is(err, ErrCustomerSuspended):
		s.auth.Succeeded(attempt)
		return upstreampb.Status_CUSTOMER_SUSPENDED, "customer suspended"
	case err != nil:
		// Not the client's fault: it may bind again later.
		c.log.Warn("authenticate failed", "customer", logcap.Cut(b.Customer), "err", err)
		return upstreampb.Status_STORE_UNAVAILABLE, "temporarily unavailable"
	case sess == nil:
		return upstreampb.Status_STORE_UNAVAILABLE, "temporarily unavailable"
	}
	s.auth.Succeeded(attempt)
	customer := sess.Customer()
	claims, refusal := s.claimBound(c, customer)
	if claims == nil {
		return upstreampb.Status_THROTTLED, refusal
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
