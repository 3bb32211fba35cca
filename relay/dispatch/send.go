package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
)

func (d *Dispatcher) routeLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		m, ok := d.popOrTick(ctx, tick.C)
		if !ok {
			return
		}
		if m == nil { // tick: retry what had no route, pull back from dead carriers
			d.requeueUnroutable()
			for _, c := range d.fleet.Load().byName {
				if c.q.len() > 0 && !c.live() {
					d.requeue(c)
				}
			}
			continue
		}
		d.route(m)
	}
}

func (d *Dispatcher) popOrTick(ctx context.Context, tick <-chan time.Time) (*message.Message, bool) {
	for {
		if m, more, ok := d.pending.tryPop(); ok {
			if more {
				d.pending.signal()
			}
			return m, true
		}
		select {
		case <-d.pending.wake:
		case <-tick:
			return nil, true
		case <-ctx.Done():
			return nil, false
		}
	}
}

func (d *Dispatcher) route(m *message.Message) {
	product := m.Product
	if m.Leg > 0 {
		product = m.Billed
	}
	if product.Kakao() {
		if d.kakao != nil {
			d.kakao.enqueue(m)
			return
		}
		d.fail(m, message.Result{Source: message.SourceRelay, Code: "no-kakao", Reason: "no Kakao channel is configured"})
		return
	}
	f := d.fleet.Load()
	name, err := f.router.Pick(product, m.Recipient)
	if err != nil {
		if errors.Is(err, route.ErrNoRule) {
			// No rule can ever take it: a configuration gap, so fail it
			// with the reason rather than hold it forever. A rare path,
			// worth one store commit of delay to routing.
			d.fail(m, message.Result{Source: message.SourceRelay, Code: "no-route", Reason: err.Error()})
			return
		}
		d.mu.Lock()
		d.mu.unroutable = append(d.mu.unroutable, m)
		d.mu.Unlock()
		return
	}
	c := f.byName[name]
	c.q.push(m)
	if c.retired.Load() { // retired by a reload since f was read: route again
		d.requeue(c)
	}
}

// depth counts the messages waiting in memory for a carrier.
func (d *Dispatcher) depth() int {
	n := d.pending.len() + d.later.len()
	for _, c := range d.fleet.Load().byName {
		n += c.q.len()
	}
	d.mu.Lock()
	n += len(d.mu.unroutable)
	d.mu.Unlock()
	return n
}

func (d *Dispatcher) requeueUnroutable() {
	d.mu.Lock()
	ms := d.mu.unroutable
	d.mu.unroutable = nil
	d.mu.Unlock()
	d.pending.push(ms...)
}

func (d *Dispatcher) worker(stop, sendCtx context.Context, c *carrier, s *smpp.Session) {
	var sm pdu.SubmitSM
	var buf []byte // encoded text, reused
	for {
		if err := s.WaitBound(stop); err != nil {
			return
		}
		m, ok := c.q.pop(stop)
		if !ok {
			return
		}
		if !c.takes() { // drained or retired since it was routed here: route again
			d.Enqueue(m)
			continue
		}
		buf = d.send(sendCtx, c, s, m, &sm, buf)
	}
}

// send submits one leg of a message and records the answer. Nothing is
// written before the submit: the leg is recorded once, after the carrier's
// answer (Store.Advance moves it through queued and sending in one batch).
// A crash in between leaves the message open, and recovery sends it again,
// which a write of "sending" before the submit would not have avoided
// either. Attempts are counted in memory and persisted with the write that
// records the answer. A message whose deadline is too close is not sent.
func (d *Dispatcher) send(ctx context.Context, c *carrier, s *smpp.Session, m *message.Message, sm *pdu.SubmitSM, buf []byte) []byte {
	if !d.mayAttempt(ctx, m) {
		return buf
	}
	buf, err := c.encode(m, sm, buf, d.deadline(m).Sub(d.now()))
	if err != nil {
		d.fail(m, message.Result{Source: message.SourceRelay, Code: "encode", Reason: err.Error()})
		return buf
	}
	start, sentAt := time.Now(), d.now()
	resp, err := s.Submit(ctx, sm)
	v, res := classifySubmit(ctx, err)
	// The answer is written even if the drain ends meanwhile; the submit
	// above is what the drain cuts short.
	ctx = recording()
	c.m.submit(v, time.Since(start))
	if v == verdictSent || v == verdictRetry || v == verdictFail {
		m.Attempts++ // the carrier saw it; busy and reroute took nothing
	}
	switch v {
	case verdictSent:
		id := receipt.Normalize(resp.MessageID, c.cfg.RespIDs)
		attempts := m.Attempts
		wctx := ctx
		// A parked receipt waiting for this id makes the message final in
		// the same write; the store wakes the report push. SentAt is when
		// the submit_sm was written: a receipt that arrived before it
		// cannot be this message's.
		err := d.st.Advance(wctx, m.ID, m.State, path(m.State, message.StateSending, message.StateSent),
			func(r *message.Message) {
				r.Carrier, r.CarrierMsgID, r.SentAt, r.Attempts = c.name, id, sentAt, attempts
			})
		if err != nil {
			d.storeTrouble(m, "record submit_sm_resp", err)
			return buf
		}
		d.drained.Add(1)
	default:
		d.settle(ctx, m, v, res, d.later)
	}
	return buf
}

// fail closes m as failed, recording its attempts; the write runs even
// while shutting down.
func (d *Dispatcher) fail(m *message.Message, res message.Result) {
	ctx := recording()
	attempts := m.Attempts
	if err := d.st.Transition(ctx, m.ID, message.StateFailed, func(r *message.Message) {
		r.Result, r.Attempts = res, max(r.Attempts, attempts)
	}); err != nil {
		d.storeTrouble(m, "fail", err)
		return
	}
	d.m.failedAtSend.Inc()
	d.drained.Add(1)
}

// storeTrouble handles a store error on the send path. The message stays
// what the store last recorded; it is picked up again by recovery. If the
// store refuses because the transition is illegal, the message has moved
// on (a receipt made it final, or it expired), which is not an error.
func (d *Dispatcher) storeTrouble(m *message.Message, what string, err error) {
	if errors.Is(err, message.ErrIllegalTransition) {
		return
	}
	d.m.storeErrors.Inc()
	d.log.Error("dispatch: store write failed on the send path", "msg", m.ID.String(), "step", what, "err", err)
}
