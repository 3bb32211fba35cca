package client

import (
	"context"
	"fmt"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Submit sends one message and waits for the relay's answer. Many Submits
// may run at once; at most Options.Window are in flight. A refusal is a
// SubmitResp with a status other than OK, not an error; the error is for a
// connection that failed or a context that ended (then the message may or
// may not have been accepted: resubmit it with the same client_ref).
func (c *Client) Submit(ctx context.Context, s *upstreampb.Submit) (*upstreampb.SubmitResp, error) {
	f, err := c.roundTrip(ctx, &upstreampb.Frame{Op: &upstreampb.Frame_Submit{Submit: s}}, true)
	if err != nil {
		return nil, err
	}
	switch op := f.Op.(type) {
	case *upstreampb.Frame_SubmitResp:
		return op.SubmitResp, nil
	case *upstreampb.Frame_Error:
		return nil, &StatusError{Op: "submit", Status: op.Error.Status, Reason: op.Error.Reason}
	}
	return nil, fmt.Errorf("%w: submit answered with %T", ErrBadSeq, f.Op)
}

// Ping checks that the relay answers.
func (c *Client) Ping(ctx context.Context) error {
	f, err := c.roundTrip(ctx, &upstreampb.Frame{Op: &upstreampb.Frame_Ping{Ping: &upstreampb.Ping{}}}, false)
	if err != nil {
		return err
	}
	if f.GetPong() == nil {
		return fmt.Errorf("%w: ping answered with %T", ErrBadSeq, f.Op)
	}
	return nil
}

// Ack acknowledges reports by report_seq; only needed with ManualAck.
func (c *Client) Ack(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	return c.sendFrame(&upstreampb.Frame{Op: &upstreampb.Frame_ReportAck{ReportAck: &upstreampb.ReportAck{ReportSeqs: seqs}}})
}

// roundTrip sends f under a fresh seq and waits for the frame answering it.
func (c *Client) roundTrip(ctx context.Context, f *upstreampb.Frame, windowed bool) (*upstreampb.Frame, error) {
	if windowed {
		select {
		case c.window <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, c.Err()
		}
	}
	cl := &call{ch: make(chan *upstreampb.Frame, 1), windowed: windowed}
	c.mu.Lock()
	if err := c.mu.err; err != nil {
		c.mu.Unlock()
		if windowed {
			<-c.window
		}
		return nil, err
	}
	seq := c.nextSeqLocked()
	c.mu.pending[seq] = cl
	c.mu.Unlock()
	f.Seq = seq
	if err := c.sendFrame(f); err != nil {
		return nil, err // fail() answered the call; the window no longer matters
	}
	select {
	case r := <-cl.ch:
		if r == nil {
			return nil, c.Err()
		}
		return r, nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	if _, ok := c.mu.pending[seq]; ok {
		cl.abandoned = true // the reader frees the window slot when the answer comes
		c.mu.Unlock()
		return nil, ctx.Err()
	}
	c.mu.Unlock()
	if r := <-cl.ch; r != nil {
		return r, nil
	}
	return nil, c.Err()
}

// nextSeqLocked returns a seq that is not 0 and not waiting for an answer.
func (c *Client) nextSeqLocked() uint32 {
	for {
		c.mu.seq++
		if _, busy := c.mu.pending[c.mu.seq]; c.mu.seq != 0 && !busy {
			return c.mu.seq
		}
	}
}

func (c *Client) sendFrame(f *upstreampb.Frame) error {
	b := getBuf()
	var err error
	if *b, err = upstream.AppendFrame(*b, f); err != nil {
		putBuf(b)
		return err
	}
	select {
	case c.out <- b:
		return nil
	case <-c.done:
		putBuf(b)
		return c.Err()
	}
}

// answer hands a response to the call waiting for its seq.
func (c *Client) answer(f *upstreampb.Frame) {
	c.mu.Lock()
	cl := c.mu.pending[f.Seq]
	delete(c.mu.pending, f.Seq)
	abandoned := cl != nil && cl.abandoned
	c.mu.Unlock()
	if cl == nil {
		if e := f.GetError(); e != nil {
			// An Error for no request: the relay is closing the connection.
			c.fail(&StatusError{Op: "connection", Status: e.Status, Reason: e.Reason})
			return
		}
		c.log.Warn("answer for no request", "seq", f.Seq)
		return
	}
	if cl.windowed {
		<-c.window
	}
	if !abandoned {
		cl.ch <- f
	}
}

// PaymentEvent sends one payment event and waits for the relay's answer; it
// counts against the window like a submit.
func (c *Client) PaymentEvent(ctx context.Context, ev *upstreampb.PaymentEvent) (*upstreampb.PaymentEventResp, error) {
	f, err := c.roundTrip(ctx, &upstreampb.Frame{Op: &upstreampb.Frame_PaymentEvent{PaymentEvent: ev}}, true)
	if err != nil {
		return nil, err
	}
	switch op := f.Op.(type) {
	case *upstreampb.Frame_PaymentEventResp:
		return op.PaymentEventResp, nil
	case *upstreampb.Frame_Error:
		return nil, &StatusError{Op: "payment event", Status: op.Error.Status, Reason: op.Error.Reason}
	}
	return nil, fmt.Errorf("%w: payment event answered with %T", ErrBadSeq, f.Op)
}
