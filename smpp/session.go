package smpp

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/VictoriaMetrics/metrics"
	"github.com/msgrelay/relay/smpp/pdu"
)

// Session is an ESME's link to one SMSC: one transceiver bind, or a
// transmitter and a receiver bind, each kept up by its own loop. It is safe
// for concurrent use; any number of goroutines may Submit at once.
type Session struct {
	cfg     Config
	tx      *bind // submits go here; nil for a receiver-only session
	binds   []*bind
	closing atomic.Bool
	closed  chan struct{} // closed when Close starts
}

// SubmitResp is a successful submit_sm_resp (or data_sm_resp).
type SubmitResp struct {
	// MessageID is the SMSC's id for the message, as it sent it.
	MessageID string
	// TLVs are any optional parameters of the response.
	TLVs pdu.TLVs
}

// Dial validates cfg and starts a Session that dials cfg.Addr. It returns
// at once; the binds come up in the background (see Session.WaitBound).
func Dial(cfg Config) (*Session, error) { return NewSession(cfg) }

// NewSession validates cfg and starts the bind loops. Sockets come from
// cfg.Dial (a net.Dialer on cfg.Addr by default).
func NewSession(cfg Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Session{cfg: cfg, closed: make(chan struct{})}
	switch cfg.Mode {
	case BindTransceiver:
		s.tx = newBind(cfg, pdu.BindTransceiverID, bindName(cfg.Name, "trx", false))
		s.binds = []*bind{s.tx}
	case BindTransmitter:
		s.tx = newBind(cfg, pdu.BindTransmitterID, bindName(cfg.Name, "tx", false))
		s.binds = []*bind{s.tx}
	case BindReceiver:
		s.binds = []*bind{newBind(cfg, pdu.BindReceiverID, bindName(cfg.Name, "rx", false))}
	case BindTxRx:
		s.tx = newBind(cfg, pdu.BindTransmitterID, bindName(cfg.Name, "tx", true))
		s.binds = []*bind{s.tx, newBind(cfg, pdu.BindReceiverID, bindName(cfg.Name, "rx", true))}
	}
	for _, b := range s.binds {
		b.wg.Add(1)
		go b.run()
	}
	return s, nil
}

// bindName labels a bind's metrics and logs: Config.Name, or the role when
// it is empty; the two binds of a pair add their role to the name.
func bindName(name, role string, pair bool) string {
	switch {
	case name == "":
		return role
	case pair:
		return name + "-" + role
	}
	return name
}

// Metrics is the set the session's metrics live in.
func (s *Session) Metrics() *metrics.Set { return s.cfg.Metrics }

// SetTPS changes the submit rate ceiling of a session started with one
// (Config.TPS > 0), at once: a relay that shares a carrier account's rate
// among binds changes each bind's share as binds come and go. It does
// nothing to a session started unlimited, or for tps ≤ 0.
func (s *Session) SetTPS(tps float64) {
	if s.tx != nil {
		s.tx.thr.setRate(tps)
	}
}

// WaitBound blocks until every bind of the session is up, or ctx ends.
func (s *Session) WaitBound(ctx context.Context) error {
	for _, b := range s.binds {
		for {
			c, ch := b.current()
			if c != nil {
				break
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return ctx.Err()
			case <-b.stop:
				return ErrClosed
			}
		}
	}
	return nil
}

// Submit sends one submit_sm and returns the SMSC's answer. It blocks while
// the window is full, while the rate limit holds it back, and (unless
// FailFast) while the bind is down, each until ctx ends.
//
// Errors: a failing command_status as pdu.Status (errors.As);
// *RequestError wrapping ErrConnLost or ErrTimeout when the outcome is
// unknown (Temporary, retry); ErrNotBound (FailFast), ErrClosed, or ctx's
// error when nothing was sent. The caller must not change sm until Submit
// returns.
func (s *Session) Submit(ctx context.Context, sm *pdu.SubmitSM) (SubmitResp, error) {
	p, err := s.do(ctx, pdu.SubmitSMID, sm)
	if err != nil {
		return SubmitResp{}, err
	}
	if r, ok := p.Body.(*pdu.SubmitSMResp); ok {
		return SubmitResp{MessageID: r.MessageID, TLVs: r.TLVs}, nil
	}
	return SubmitResp{}, fmt.Errorf("%w: %s", ErrUnexpectedResp, p.Command)
}

// DataSM sends one data_sm, with the same machinery as Submit.
func (s *Session) DataSM(ctx context.Context, d *pdu.DataSM) (SubmitResp, error) {
	p, err := s.do(ctx, pdu.DataSMID, d)
	if err != nil {
		return SubmitResp{}, err
	}
	if r, ok := p.Body.(*pdu.DataSMResp); ok {
		return SubmitResp{MessageID: r.MessageID, TLVs: r.TLVs}, nil
	}
	return SubmitResp{}, fmt.Errorf("%w: %s", ErrUnexpectedResp, p.Command)
}

// QuerySM asks the SMSC for a message's state.
func (s *Session) QuerySM(ctx context.Context, q *pdu.QuerySM) (*pdu.QuerySMResp, error) {
	p, err := s.do(ctx, pdu.QuerySMID, q)
	if err != nil {
		return nil, err
	}
	if r, ok := p.Body.(*pdu.QuerySMResp); ok {
		return r, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnexpectedResp, p.Command)
}

// CancelSM asks the SMSC to cancel a message not yet delivered.
func (s *Session) CancelSM(ctx context.Context, c *pdu.CancelSM) error {
	_, err := s.do(ctx, pdu.CancelSMID, c)
	return err
}

// do sends one request on the transmitting bind and waits for its answer.
func (s *Session) do(ctx context.Context, cmd pdu.CommandID, body pdu.Body) (*pdu.PDU, error) {
	b := s.tx
	if b == nil {
		return nil, ErrNoTransmitter
	}
	if s.closing.Load() {
		return nil, ErrClosed
	}
	select {
	case b.win <- struct{}{}: // a slot free: no need to watch ctx and Close
	default:
		select {
		case b.win <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.closed:
			return nil, ErrClosed
		}
	}
	cl := b.getCall()
	cl.windowd = true
	p, err := s.send(ctx, b, cmd, body, cl)
	if err != nil {
		return nil, err
	}
	st := p.Status
	if cmd == pdu.SubmitSMID || cmd == pdu.DataSMID {
		b.m.submitted(st)
	}
	if st != pdu.StatusOK {
		if st == pdu.StatusThrottled || st == pdu.StatusMsgQFul {
			b.m.throttled.Inc()
			b.thr.SlowDown()
			b.logErr("smpp: SMSC throttles, slowing down", st)
		}
		return nil, st
	}
	if p.Command != cmd.Response() {
		return nil, fmt.Errorf("%w: %s for %s", ErrUnexpectedResp, p.Command, cmd)
	}
	return p, nil
}

// send waits for the bind and the rate limit, then sends; cl holds a window
// slot that is freed here on an early return, or by whoever resolves cl.
// cl goes back to b's spares unless it is left pending on ctx.
func (s *Session) send(ctx context.Context, b *bind, cmd pdu.CommandID, body pdu.Body, cl *call) (*pdu.PDU, error) {
	release := func(err error) (*pdu.PDU, error) {
		// cl was never registered with a conn: nobody else has it.
		cl.windowd = false
		<-b.win
		b.putCall(cl)
		return nil, err
	}
	if s.closing.Load() {
		return release(ErrClosed)
	}
	if err := b.thr.Wait(ctx); err != nil {
		return release(err)
	}
	p := &pdu.PDU{Header: pdu.Header{Command: cmd}, Body: body}
	for {
		c, bound := b.current()
		if c != nil {
			p.Sequence = b.nextSeq()
			err := c.send(p, cl)
			if err == nil {
				if cmd == pdu.SubmitSMID || cmd == pdu.DataSMID {
					b.rate.add(cl.sent) // cl is this goroutine's until it receives on done
				}
				break
			}
			if !errors.Is(err, errNotSent) {
				return release(err)
			}
			continue // c died under us; wait for the next one
		}
		if s.cfg.FailFast {
			return release(ErrNotBound)
		}
		select {
		case <-bound:
		case <-ctx.Done():
			return release(ctx.Err())
		case <-s.closed:
			// Nothing was sent; a closing session does not wait for a bind.
			return release(ErrClosed)
		}
	}
	if s.cfg.AwaitWritten {
		// Whoever resolves a written call (the reader, the keep-alive
		// loop on the response timeout, the conn's death) always does.
		<-cl.done
	} else {
		select {
		case <-cl.done:
		case <-ctx.Done():
			// cl stays pending; its resolver frees the window slot.
			return nil, ctx.Err()
		}
	}
	resp, err := cl.resp, cl.err
	b.putCall(cl) // its resolver is done with it
	if err != nil {
		return nil, err
	}
	if resp.Command == pdu.GenericNackID {
		if resp.Status == pdu.StatusOK {
			return nil, fmt.Errorf("%w: generic_nack", ErrUnexpectedResp)
		}
	}
	return resp, nil
}

// Close stops the session gracefully: new submits fail with ErrClosed, the
// window drains until ctx ends, each bind sends unbind and waits for
// unbind_resp (bounded by ctx and ResponseTimeout), then every socket is
// closed and every goroutine waited for. Requests still in flight at the
// deadline get ErrConnLost. Close returns ctx's error if the drain was cut
// short.
func (s *Session) Close(ctx context.Context) error {
	if s.closing.Swap(true) {
		return ErrClosed
	}
	close(s.closed)
	var drainErr error
	if b := s.tx; b != nil {
		// Taking every window slot proves nothing is in flight.
	drain:
		for range cap(b.win) {
			select {
			case b.win <- struct{}{}:
			case <-ctx.Done():
				drainErr = ctx.Err()
				break drain
			}
		}
	}
	for _, b := range s.binds {
		s.unbind(ctx, b)
	}
	for _, b := range s.binds {
		b.shutdown()
	}
	return drainErr
}

// unbind sends unbind on b's current conn and waits for the answer.
func (s *Session) unbind(ctx context.Context, b *bind) {
	c, _ := b.current()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ResponseTimeout)
	defer cancel()
	b.unbinding.Store(true)
	cl := newCall()
	p := &pdu.PDU{Header: pdu.Header{Command: pdu.UnbindID, Sequence: b.nextSeq()}}
	if err := c.send(p, cl); err != nil {
		return
	}
	select {
	case <-cl.done:
		if cl.err != nil && !errors.Is(cl.err, ErrConnLost) {
			b.log.Warn("smpp: unbind", "err", cl.err)
		}
	case <-ctx.Done():
		b.log.Warn("smpp: unbind_resp not received", "err", ctx.Err())
	case <-c.done:
	}
}
