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
	var w sendState
	defer w.rec.release()
	in := c.q.consumer(stop)
	defer in.close()
	for {
		if err := s.WaitBound(stop); err != nil {
			return
		}
		m, ok := in.take()
		if !ok {
			return
		}
		if !c.takes() { // drained or retired since it was routed here: route again
			d.Enqueue(m)
			continue
		}
		d.send(sendCtx, c, s, m, &w)
	}
}

// sendState is what a worker keeps from one submit to the next: the
// submit_sm and the buffer its text is encoded into (Submit keeps neither
// after it returns), and the answer to record with its mutation for
// Store.Advance, made once.
type sendState struct {
	sm  pdu.SubmitSM
	buf []byte
	ans *sentAnswer
	rec ownRecording
}

// sentAnswer is a submit_sm_resp to record: record is the mutation
// Store.Advance applies on the store's goroutine before it
// returns. A worker whose Advance returned early (its context ended: the
// store may still run it) takes a new one.
type sentAnswer struct {
	carrier, id string
	at          time.Time
	attempts    uint32
	record      func(*message.Message)
}

func (w *sendState) answer() *sentAnswer {
	if w.ans == nil {
		a := &sentAnswer{}
		a.record = func(r *message.Message) {
			r.Carrier, r.CarrierMsgID, r.SentAt, r.Attempts = a.carrier, a.id, a.at, a.attempts
		}
		w.ans = a
	}
	return w.ans
}

// sentPaths are the paths Store.Advance takes an SMS or LMS leg along to
// sent, by the state it starts from (path's, made once: Advance only
// reads them).
var sentPaths = [...][]message.State{
	message.StateAccepted: path(message.StateAccepted, message.StateSending, message.StateSent),
	message.StateQueued:   path(message.StateQueued, message.StateSending, message.StateSent),
}

func sentPath(from message.State) []message.State {
	if int(from) < len(sentPaths) && sentPaths[from] != nil {
		return sentPaths[from]
	}
	return path(from, message.StateSending, message.StateSent)
}

// send submits one leg of a message and records the answer. Nothing is
// written before the submit: the leg is recorded once, after the carrier's
// answer (Store.Advance moves it through queued and sending in one batch).
// A crash in between leaves the message open, and recovery sends it again,
// which a write of "sending" before the submit would not have avoided
// either. Attempts are counted in memory and persisted with the write that
// records the answer. A message whose deadline is too close is not sent.
func (d *Dispatcher) send(ctx context.Context, c *carrier, s *smpp.Session, m *message.Message, w *sendState) {
	now := d.now()
	if late, ok := d.tooLateAt(m, 0, now); !ok {
		d.fail(m, late)
		return
	}
	var err error
	w.buf, err = c.encode(m, &w.sm, w.buf, d.deadline(m).Sub(now))
	if err != nil {
		d.fail(m, message.Result{Source: message.SourceRelay, Code: "encode", Reason: err.Error()})
		return
	}
	// now, read before the encoding, stands for when the submit_sm was
	// written (SentAt): no answer or receipt of it can come before.
	start := time.Now()
	resp, err := s.Submit(ctx, &w.sm)
	v, res := classifySubmit(ctx, err)
	// The answer is written even if the drain ends meanwhile; the drain
	// cuts the submit above short only before it is written (the session
	// waits for a written one's answer: AwaitWritten).
	ctx = w.rec.get(time.Now()) // not start: the submit may have waited seconds for its turn
	c.m.submit(v, time.Since(start))
	if v == verdictSent || v == verdictRetry || v == verdictFail {
		m.Attempts++ // the carrier saw it; busy and reroute took nothing
	}
	switch v {
	case verdictSent:
		a := w.answer()
		a.carrier, a.id, a.at, a.attempts = c.name, receipt.Normalize(resp.MessageID, c.cfg.RespIDs), now, m.Attempts
		// A parked receipt waiting for this id makes the message final in
		// the same write; the store wakes the report push. SentAt is when
		// the submit_sm was written: a receipt that arrived before it
		// cannot be this message's.
		if err := d.st.Advance(ctx, m.ID, m.State, sentPath(m.State), a.record); err != nil {
			w.ans = nil // the store may still run a.record
			d.storeTrouble(m, "record submit_sm_resp", err)
			return
		}
		d.drained.Add(1)
	default:
		d.settle(ctx, m, v, res, d.later)
	}
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
