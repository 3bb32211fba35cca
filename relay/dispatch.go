package relay

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/store"
)

// dispatcher moves accepted messages to carriers. Messages come in from
// ingress (just accepted) and from recovery (open after a restart); each is
// routed to a carrier and submitted by that carrier's workers, a fixed pool
// per bind as large as the bind's window. A message that cannot be routed
// waits; one with a transient error comes back after a backoff.
//
// Nothing here is the only copy of a message: every message in a queue is
// durable in the store, so a crash loses queue positions, never messages.
type dispatcher struct {
	st       *store.Store
	cfg      DispatchConfig
	router   *route.Router
	carriers map[string]*carrier
	log      *slog.Logger
	m        *relayMetrics
	now      func() time.Time

	pending *fifo  // to be routed
	later   *delay // retries waiting for their backoff
	kakao   kakaoSender

	mu struct {
		sync.Mutex
		unroutable []*message.Message // no live carrier right now
	}
}

// kakaoSender takes Kakao messages; nil until the Kakao channel is configured.
type kakaoSender interface {
	enqueue(m *message.Message)
}

// start runs the routing loop and the carriers' workers until stop ends;
// sends in flight use sendCtx, which ends later (the drain deadline).
func (d *dispatcher) start(stop, sendCtx context.Context, g *group) {
	g.Go(func() { d.routeLoop(stop) })
	g.Go(func() { d.later.run(stop, d.pending) })
	for _, c := range d.carriers {
		for _, s := range c.sessions {
			for i := 0; i < c.cfg.Window; i++ {
				g.Go(func() { d.worker(stop, sendCtx, c, s) })
			}
		}
	}
}

// enqueue hands new or recovered messages to the router.
func (d *dispatcher) enqueue(ms ...*message.Message) {
	d.pending.push(ms...)
}

func (d *dispatcher) routeLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		m, ok := d.popOrTick(ctx, tick.C)
		if !ok {
			return
		}
		if m == nil { // tick: retry what had no route, pull back from dead carriers
			d.requeueUnroutable()
			for _, c := range d.carriers {
				if c.q.len() > 0 && !c.live() {
					for {
						m, _, ok := c.q.tryPop()
						if !ok {
							break
						}
						d.pending.push(m)
					}
				}
			}
			continue
		}
		d.route(m)
	}
}

func (d *dispatcher) popOrTick(ctx context.Context, tick <-chan time.Time) (*message.Message, bool) {
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

func (d *dispatcher) route(m *message.Message) {
	product := m.Product
	if m.Leg > 0 {
		product = m.Billed
	}
	if product.Kakao() {
		if d.kakao != nil {
			d.kakao.enqueue(m)
			return
		}
		d.failNow(m, message.Result{Source: message.SourceRelay, Code: "no-kakao", Reason: "no Kakao channel is configured"})
		return
	}
	name, err := d.router.Pick(product, m.Recipient)
	if err != nil {
		if errors.Is(err, route.ErrNoRule) {
			// No rule can ever take it: a configuration gap, so fail it
			// with the reason rather than hold it forever.
			d.failNow(m, message.Result{Source: message.SourceRelay, Code: "no-route", Reason: err.Error()})
			return
		}
		d.mu.Lock()
		d.mu.unroutable = append(d.mu.unroutable, m)
		d.mu.Unlock()
		return
	}
	d.carriers[name].q.push(m)
}

// depth counts the messages waiting in memory for a carrier.
func (d *dispatcher) depth() int {
	n := d.pending.len() + d.later.len()
	for _, c := range d.carriers {
		n += c.q.len()
	}
	d.mu.Lock()
	n += len(d.mu.unroutable)
	d.mu.Unlock()
	return n
}

func (d *dispatcher) requeueUnroutable() {
	d.mu.Lock()
	ms := d.mu.unroutable
	d.mu.unroutable = nil
	d.mu.Unlock()
	d.pending.push(ms...)
}

// failNow fails a message on the routing goroutine: a rare path (a
// configuration gap), worth one store commit of delay to routing.
func (d *dispatcher) failNow(m *message.Message, res message.Result) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.fail(ctx, m, res)
}

func (d *dispatcher) worker(stop, sendCtx context.Context, c *carrier, s *smpp.Session) {
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
		buf = d.send(sendCtx, c, s, m, &sm, buf)
	}
}

// send submits one leg of a message and records the answer. Nothing is
// written before the submit: the leg is recorded once, after the carrier's
// answer (Store.Advance moves it through queued and sending in one batch).
// A crash in between leaves the message open, and recovery sends it again,
// which a write of "sending" before the submit would not have avoided
// either. Attempts are counted in memory and persisted with the send.
func (d *dispatcher) send(ctx context.Context, c *carrier, s *smpp.Session, m *message.Message, sm *pdu.SubmitSM, buf []byte) []byte {
	buf, err := c.encode(m, sm, buf)
	if err != nil {
		d.fail(ctx, m, message.Result{Source: message.SourceRelay, Code: "encode", Reason: err.Error()})
		return buf
	}
	start := time.Now()
	resp, err := s.Submit(ctx, sm)
	v, res := classifySubmit(ctx, err)
	d.m.submit(c.name, v, time.Since(start))
	if v == verdictSent || v == verdictRetry || v == verdictFail {
		m.Attempts++ // the carrier saw it; busy and reroute took nothing
	}
	switch v {
	case verdictSent:
		id := receipt.Normalize(resp.MessageID, c.cfg.RespIDs)
		now := d.now()
		// A parked receipt waiting for this id makes the message final in
		// the same write; the store wakes the report push.
		err := d.st.Advance(ctx, m.ID, m.State, path(m.State, message.StateSending, message.StateSent),
			func(r *message.Message) { r.Carrier, r.CarrierMsgID, r.SentAt = c.name, id, now })
		if err != nil {
			d.storeTrouble(m, "record submit_sm_resp", err)
			return buf
		}
	case verdictRetry:
		if int(m.Attempts) >= d.cfg.MaxAttempts {
			res.Reason = "gave up after " + itoa(int(m.Attempts)) + " attempts: " + res.Reason
			d.fail(ctx, m, res)
			return buf
		}
		d.later.add(m, time.Now().Add(d.backoff(int(m.Attempts))))
	case verdictBusy:
		d.later.add(m, time.Now().Add(d.backoff(1)))
	case verdictReroute:
		d.enqueue(m)
	case verdictFail:
		d.fail(ctx, m, res)
	case verdictAbandoned:
		// Shutting down with the outcome unknown: the message stays open in
		// the store and is sent again after the restart.
	}
	return buf
}

func (d *dispatcher) fail(ctx context.Context, m *message.Message, res message.Result) {
	if err := d.st.Fail(ctx, m.ID, res); err != nil {
		d.storeTrouble(m, "fail", err)
		return
	}
	d.m.failedAtSend.Inc()
}

// storeTrouble handles a store error on the send path. The message stays
// what the store last recorded; it is picked up again by recovery. If the
// store refuses because the transition is illegal, the message has moved
// on (a receipt made it final), which is not an error.
func (d *dispatcher) storeTrouble(m *message.Message, what string, err error) {
	if errors.Is(err, message.ErrIllegalTransition) {
		return
	}
	d.m.storeErrors.Inc()
	d.log.Error("relay: store write failed on the send path", "msg", m.ID.String(), "step", what, "err", err)
}

func (d *dispatcher) backoff(attempt int) time.Duration {
	b := d.cfg.RetryMin.D() << min(attempt, 20)
	if b > d.cfg.RetryMax.D() || b <= 0 {
		b = d.cfg.RetryMax.D()
	}
	return b/2 + rand.N(b/2+1)
}

// delay holds messages until their retry time.
type delay struct {
	wake chan struct{}
	now  func() time.Time
	mu   struct {
		sync.Mutex
		h delayHeap
	}
}

func newDelay(now func() time.Time) *delay {
	return &delay{wake: make(chan struct{}, 1), now: now}
}

func (l *delay) add(m *message.Message, at time.Time) {
	l.mu.Lock()
	heap.Push(&l.mu.h, delayed{m, at})
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *delay) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.h.Len()
}

func (l *delay) run(ctx context.Context, out *fifo) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		l.mu.Lock()
		wait := time.Hour
		for l.mu.h.Len() > 0 {
			next := l.mu.h[0]
			if d := next.at.Sub(l.now()); d > 0 {
				wait = d
				break
			}
			heap.Pop(&l.mu.h)
			out.push(next.m)
		}
		l.mu.Unlock()
		t.Reset(wait)
		select {
		case <-t.C:
		case <-l.wake:
		case <-ctx.Done():
			return
		}
	}
}

type delayed struct {
	m  *message.Message
	at time.Time
}

type delayHeap []delayed

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(delayed)) }
func (h *delayHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
