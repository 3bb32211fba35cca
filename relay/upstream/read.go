package upstream

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// readLoop reads frames after the bind until the client unbinds or closes,
// the connection idles out, the server drains, or a frame is bad. It
// returns the frame to send last (UnbindResp, or an Error), if any.
func (c *conn) readLoop() *upstreampb.Frame {
	m := c.srv.m
	idle := c.srv.cfg.IdleTimeout
	// One frame for every read: nothing below keeps the frame itself, only
	// the operation it points to, which each read makes anew.
	f := new(upstreampb.Frame)
	for {
		if c.fr.Buffered() == 0 {
			c.raw.SetReadDeadline(time.Now().Add(idle))
		}
		// Checked after setting the deadline: drain sets its own deadline
		// after raising the flag, so one of the two stops this read.
		if c.stopping() {
			return nil
		}
		err := c.fr.Read(f)
		if err != nil {
			return c.readFailed(err)
		}
		m.framesIn.Inc()
		switch op := f.Op.(type) {
		case *upstreampb.Frame_Submit:
			req := op.Submit
			if req == nil {
				req = &upstreampb.Submit{}
			}
			if !c.enqueue(pendingSubmit{seq: f.Seq, req: req, hot: c.fr.sub}) {
				return nil
			}
		case *upstreampb.Frame_ReportAck:
			if op.ReportAck == nil || len(op.ReportAck.ReportSeqs) == 0 {
				continue
			}
			select {
			case c.acks <- op.ReportAck.ReportSeqs:
			case <-c.quit:
				return nil
			}
		case *upstreampb.Frame_Ping:
			c.send(&upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_Pong{Pong: &upstreampb.Pong{}}})
		case *upstreampb.Frame_Unbind:
			return &upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_UnbindResp{UnbindResp: &upstreampb.UnbindResp{}}}
		case *upstreampb.Frame_PaymentEvent:
			ev := op.PaymentEvent
			if ev == nil {
				ev = &upstreampb.PaymentEvent{}
			}
			if _, ok := c.srv.h.(PaymentHandler); !ok {
				c.send(&upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_PaymentEventResp{PaymentEventResp: &upstreampb.PaymentEventResp{
					Status: upstreampb.Status_INVALID_REQUEST, Reason: "payment events are not taken here",
				}}})
				continue
			}
			if !c.enqueue(pendingSubmit{seq: f.Seq, pay: ev}) {
				return nil
			}
		case *upstreampb.Frame_Bind:
			c.send(errorFrame(f.Seq, upstreampb.Status_INVALID_REQUEST, "already bound"))
		default:
			// An operation from a newer version, or one only the relay sends.
			c.send(errorFrame(f.Seq, upstreampb.Status_INVALID_REQUEST, "unsupported operation"))
		}
	}
}

// readFailed classifies the error that ended the reading.
func (c *conn) readFailed(err error) *upstreampb.Frame {
	var ne net.Error
	switch {
	case c.stopping():
		return nil
	case errors.Is(err, io.EOF):
		// The client is done sending; it may still read its answers.
		return nil
	case errors.As(err, &ne) && ne.Timeout():
		c.log.Info("idle connection closed", "customer", c.customer)
		return nil
	case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrEmptyFrame), errors.Is(err, ErrBadFrame):
		c.srv.m.frameErrors.Inc()
		if c.srv.logs.Allow("bad_frame", c.remote) {
			c.log.Info("bad frame; closing", "customer", c.customer, "err", err)
		}
		return errorFrame(0, upstreampb.Status_INVALID_REQUEST, err.Error())
	default:
		c.srv.m.frameErrors.Inc()
		c.abort(err)
		return nil
	}
}

// enqueue takes a slot of the window, waiting while it is full, and queues
// p for a worker. It returns false if the connection stopped meanwhile.
func (c *conn) enqueue(p pendingSubmit) bool {
	select {
	case c.slots <- struct{}{}: // room in the window: no need to watch quit
	default:
		select {
		case c.slots <- struct{}{}:
		case <-c.quit:
			return false
		}
	}
	c.srv.m.inFlight.Inc()
	c.submitQ.push(p)
	return true
}

func errorFrame(seq uint32, st upstreampb.Status, reason string) *upstreampb.Frame {
	return &upstreampb.Frame{Seq: seq, Op: &upstreampb.Frame_Error{Error: &upstreampb.Error{Status: st, Reason: reason}}}
}
