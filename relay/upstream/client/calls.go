package client

import (
	"context"
	"fmt"
	"sync"

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
	return submitAnswer(f)
}

// SubmitAsync sends one message without waiting for the answer: a
// pipelining gateway submits from one goroutine instead of one per message
// in flight. It blocks while Options.Window submits are in flight. Once it
// returns nil, done is called exactly once, with what Submit would have
// returned, on the client's read goroutine (or the one that found the
// connection failed): it must be quick and must not wait on the client. An
// error means the message was not sent and done is not called. s is
// encoded before SubmitAsync returns and not kept: the caller may reuse it
// for the next message.
func (c *Client) SubmitAsync(ctx context.Context, s *upstreampb.Submit, done func(*upstreampb.SubmitResp, error)) error {
	// A gateway sends every message this way: the call and the frame come
	// from pools, and the frame is encoded before start returns, so
	// neither it nor s is kept.
	cl := callPool.Get().(*call)
	*cl = call{done: done, windowed: true}
	sf := submitFramePool.Get().(*submitFrame)
	sf.op.Submit = s
	sf.f.Op = &sf.op
	_, err := c.start(ctx, &sf.f, cl)
	sf.op.Submit, sf.f.Op = nil, nil
	submitFramePool.Put(sf)
	if err != nil {
		// Not registered, or registered and already answered by fail
		// (then err is nil): either way no one holds cl.
		callPool.Put(cl)
	}
	return err
}

// submitFrame is a Submit frame with its op, allocated together.
type submitFrame struct {
	f  upstreampb.Frame
	op upstreampb.Frame_Submit
}

var (
	callPool        = sync.Pool{New: func() any { return new(call) }}
	submitFramePool = sync.Pool{New: func() any { return new(submitFrame) }}
)

func submitAnswer(f *upstreampb.Frame) (*upstreampb.SubmitResp, error) {
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
	cl := &call{ch: make(chan *upstreampb.Frame, 1), windowed: windowed}
	seq, err := c.start(ctx, f, cl)
	if err != nil {
		return nil, err
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

// start takes a window slot for a windowed call, registers cl under a
// fresh seq and sends f. A frame that does not encode is unregistered, its
// slot freed and its error returned; otherwise cl is answered, by answer,
// or by fail with nil when the connection fails (even during the send).
func (c *Client) start(ctx context.Context, f *upstreampb.Frame, cl *call) (uint32, error) {
	if cl.windowed {
		select {
		case c.window <- struct{}{}: // room: no need to watch ctx and done
		default:
			select {
			case c.window <- struct{}{}:
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-c.done:
				return 0, c.Err()
			}
		}
	}
	c.mu.Lock()
	if err := c.mu.err; err != nil {
		c.mu.Unlock()
		if cl.windowed {
			<-c.window
		}
		return 0, err
	}
	seq := c.nextSeqLocked()
	c.mu.pending[seq] = cl
	c.mu.Unlock()
	// cl is not read once sent: an asynchronous call may be answered,
	// and its call reused, before sendFrame returns.
	windowed, async := cl.windowed, cl.done != nil
	f.Seq = seq
	if err := c.sendFrame(f); err != nil {
		c.mu.Lock()
		unsent := c.mu.pending[seq] == cl
		if unsent {
			delete(c.mu.pending, seq) // a frame that did not encode
		}
		c.mu.Unlock()
		if unsent && windowed {
			<-c.window
		}
		if unsent || !async {
			return 0, err
		}
		// The connection failed, and fail() answers the call.
	}
	return seq, nil
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
	case c.out <- b: // room: no need to watch done (a frame queued on a
		// failed connection is dropped with it; fail answers its call)
		return nil
	default:
	}
	select {
	case c.out <- b:
		return nil
	case <-c.done:
		putBuf(b)
		return c.Err()
	}
}

// answer hands a response to the call waiting for its seq; true when the
// caller now holds f itself.
func (c *Client) answer(f *upstreampb.Frame) (handed bool) {
	c.mu.Lock()
	cl := c.mu.pending[f.Seq]
	delete(c.mu.pending, f.Seq)
	abandoned := cl != nil && cl.abandoned
	c.mu.Unlock()
	if cl == nil {
		if e := f.GetError(); e != nil {
			// An Error for no request: the relay is closing the connection.
			c.fail(&StatusError{Op: "connection", Status: e.Status, Reason: e.Reason})
			return false
		}
		c.log.Warn("answer for no request", "seq", f.Seq)
		return false
	}
	if cl.windowed {
		<-c.window
	}
	switch {
	case cl.done != nil:
		done := cl.done
		*cl = call{}
		callPool.Put(cl)
		done(submitAnswer(f))
	case !abandoned:
		cl.ch <- f
		return true
	}
	return false
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
