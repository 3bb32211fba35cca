package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/store"
)

// Options are the dispatcher's collaborators.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Metrics is where the dispatcher, its legs and the SMPP sessions
	// register.
	Metrics *metrics.Set
	// Now is the wall clock (store times, the night rule, expiry).
	Now func() time.Time
	// Door gives the limits a fallback leg is cut to.
	Door door.Config
	// Dialer says where carriers and Kakao are reached; nil is Direct.
	Dialer Dialer
	// Drained are the carriers an operator took out of routing before a
	// restart (see Drain); they start drained. Names the configuration
	// lacks are ignored.
	Drained []string
	// Elsewhere, when set, takes every receipt whose carrier id the store
	// does not know, instead of the store parking it (a cluster node).
	Elsewhere Elsewhere
	// Slots, when set, shares the bind quota (max_binds) of carriers
	// with the other relays of a cluster.
	Slots BindSlots
}

// Dispatcher moves accepted messages to carriers and Kakao. Messages come
// in from the accept path (just accepted) and from recovery (open after a
// restart); each is routed to a carrier and submitted by that carrier's
// workers, a fixed pool per bind as large as the bind's window. A message
// that cannot be routed waits; one with a transient error comes back after
// a backoff.
type Dispatcher struct {
	st     *store.Store
	cfg    Config
	fleet  atomic.Pointer[fleet] // the carriers and routes in force; Reconfigure replaces it
	log    *slog.Logger
	m      *dispatchMetrics
	now    func() time.Time
	door   atomic.Pointer[door.Config] // the limits a fallback leg is decided by
	set    *metrics.Set
	dialer Dialer
	corr   *correlator
	slots  BindSlots   // nil: no relay shares a carrier account with this one
	local  *localSlots // the bind quota of an account several carriers of this relay bind, without slots

	drained atomic.Uint64 // legs that left the backlog: sent, delivered, fallen back or failed

	pending *fifo  // to be routed
	later   *delay // retries waiting for their backoff
	kakao   *kakaoLeg

	stopCtx, sendCtx  context.Context
	stopTaking, endIn context.CancelFunc
	wg                sync.WaitGroup

	reconf  sync.Mutex // one Reconfigure at a time
	started atomic.Bool

	mu struct {
		sync.Mutex
		unroutable []*message.Message  // no live carrier right now
		retiring   map[*carrier]string // carriers a reconfiguration replaced or removed, until closed
	}
}

// New binds to every carrier and opens the Kakao client (when kakao has a
// base URL). Nothing is sent before Start.
func New(cfg Config, carriers []CarrierConfig, routes []route.Config, kakao KakaoConfig, opts Options) (_ *Dispatcher, err error) {
	if opts.Dialer == nil {
		opts.Dialer = Direct{}
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewSet()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Dispatcher{
		st: opts.Store, cfg: cfg, log: opts.Logger, now: opts.Now, set: opts.Metrics, dialer: opts.Dialer, slots: opts.Slots,
		local:   newLocalSlots(),
		pending: newFIFO(), later: newDelay(time.Now, time.Hour), // backoffs are relative: monotonic time, not the wall clock
	}
	d.door.Store(&opts.Door)
	d.stopCtx, d.stopTaking = context.WithCancel(context.Background())
	d.sendCtx, d.endIn = context.WithCancel(context.Background())
	d.m = newDispatchMetrics(opts.Metrics)
	d.corr = newCorrelator(d.now, d.st, d.m, d.log, opts.Metrics)
	d.corr.elsewhere = opts.Elsewhere
	defer func() {
		if err != nil {
			d.closeClients(context.Background())
		}
	}()
	f, _, err := d.nextFleet(&fleet{}, carriers, routes)
	if f != nil {
		d.fleet.Store(f)
	}
	if err != nil {
		return nil, err
	}
	for _, name := range opts.Drained {
		if c := f.byName[name]; c != nil {
			c.drained.Store(true)
		}
	}
	if kakao.BaseURL != "" {
		k, err := newKakaoLeg(kakao, d, opts)
		if err != nil {
			return nil, fmt.Errorf("kakao: %w", err)
		}
		d.kakao = k
	}
	opts.Metrics.NewGauge(`relay_dispatch_queue_depth`, func() float64 { return float64(d.depth()) })
	opts.Metrics.NewGauge(`relay_dispatch_scheduled`, func() float64 { return float64(d.Scheduled()) })
	return d, nil
}

// Recover queues every open message in the store: those waiting for a
// carrier or Kakao to take them again, and, for Kakao 3005s, the lookups.
// Call it once, before Start.
func (d *Dispatcher) Recover() error {
	var open []*message.Message
	waiting := 0
	stats, err := d.st.Recover(func(m *message.Message) error {
		if m.State == message.StateAccepted && !m.NotBefore.IsZero() {
			return nil // in the store's sched table until its time (schedule.go)
		}
		if m.State.AwaitingResult() {
			// The carrier or Kakao has it: the receipt, a Kakao lookup, or
			// the expiry at the deadline finishes it. Sending again would
			// duplicate.
			waiting++
			if m.State == message.StateKakaoSent && d.kakao != nil {
				c := *m
				d.kakao.await(&c)
			}
			return nil
		}
		c := *m
		open = append(open, &c)
		return nil
	})
	if err != nil {
		return err
	}
	d.log.Info("dispatch: recovered open messages", "open", stats.Open, "to_send", len(open),
		"awaiting_result", waiting, "scan", stats.Took)
	d.Enqueue(open...)
	return nil
}

// Start runs the routing loop, the carriers' and Kakao's workers and the
// expiry scan until Stop; sends in flight end at Wait (the drain deadline).
func (d *Dispatcher) Start() {
	stop, sendCtx := d.stopCtx, d.sendCtx
	d.wg.Go(func() { d.routeLoop(stop) })
	d.wg.Go(func() { d.later.run(stop, d.pending) })
	d.wg.Go(func() { d.releaseScheduled(stop) })
	d.reconf.Lock()
	for _, c := range d.fleet.Load().byName {
		d.startCarrier(c)
	}
	d.started.Store(true)
	d.reconf.Unlock()
	if d.kakao != nil {
		d.kakao.start(stop, sendCtx, &d.wg)
	}
	d.wg.Go(func() {
		every(stop, d.cfg.ExpiryScan, func(ctx context.Context) { d.ExpireNow(ctx) })
	})
}

// Enqueue hands new or recovered messages to the router. A message
// scheduled for later is not given to it: it waits in the store until its
// time (schedule.go).
func (d *Dispatcher) Enqueue(ms ...*message.Message) {
	d.pending.push(ms...)
}

// Carriers are the configured carriers' names, in configuration order.
func (d *Dispatcher) Carriers() []string { return d.fleet.Load().names }

// Live reports whether the carrier has at least one bind up.
func (d *Dispatcher) Live(carrier string) bool { return d.fleet.Load().live(carrier) }

// PollKakao looks every Kakao 3005 up once, as the periodic poll does.
func (d *Dispatcher) PollKakao(ctx context.Context) {
	if d.kakao != nil {
		d.kakao.PollNow(ctx)
	}
}

// Stop stops taking new work off the queues.
func (d *Dispatcher) Stop() { d.stopTaking() }

// Unbind drains the carriers' windows and Kakao's calls in flight until
// ctx ends, then unbinds. Call it after Stop.
func (d *Dispatcher) Unbind(ctx context.Context) {
	if d.kakao != nil {
		d.kakao.drain(ctx)
	}
	if f := d.fleet.Load(); f != nil {
		for _, c := range f.byName {
			c.close(ctx)
		}
	}
	d.mu.Lock()
	retiring := maps.Clone(d.mu.retiring)
	d.mu.Unlock()
	for c := range retiring {
		c.close(ctx)
	}
}

// Wait ends the sends still in flight (their messages stay open in the
// store, for recovery), waits for every worker and closes the Kakao client.
func (d *Dispatcher) Wait() {
	d.endIn()
	d.wg.Wait()
	if d.kakao != nil {
		d.kakao.close()
	}
}

// Close stops everything at once: Stop, Unbind within ctx, Wait.
func (d *Dispatcher) Close(ctx context.Context) {
	d.Stop()
	d.endIn()
	d.Unbind(ctx)
	d.Wait()
}

func (d *Dispatcher) closeClients(ctx context.Context) {
	d.Unbind(ctx)
	if d.kakao != nil {
		d.kakao.close()
	}
}

// every runs f every period until ctx ends.
func every(ctx context.Context, period time.Duration, f func(context.Context)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// ExpireNow closes every message that would pass its deadline before the
// next scan, as the periodic scan does: the scan looks one period ahead, so
// every message is final, and its report written, within validity of its
// acceptance.
func (d *Dispatcher) ExpireNow(ctx context.Context) int {
	total := 0
	for {
		now := d.now()
		ids, err := d.st.ExpireBefore(ctx, now.Add(d.cfg.ExpiryScan), now, 512)
		if err != nil {
			d.log.Error("dispatch: expiry scan", "err", err)
			break
		}
		total += len(ids)
		if len(ids) < 512 {
			break
		}
	}
	if total > 0 {
		d.m.expired.Add(total)
		d.log.Info("dispatch: expired messages without a result", "count", total)
	}
	if _, err := d.st.DropStaleParked(ctx, d.now(), 512); err != nil {
		d.log.Error("dispatch: dropping stale parked receipts", "err", err)
	}
	return total
}

// Backlog returns the messages waiting to be sent (routing, carrier and
// Kakao queues, backoffs, no live route) and a running count of the legs
// that have left that backlog, for the admission control's drain rate.
func (d *Dispatcher) Backlog() (waiting int, drained uint64) {
	n := d.depth()
	if d.kakao != nil {
		n += d.kakao.q.len() + d.kakao.later.len()
	}
	return n, d.drained.Load()
}

// KakaoAwaiting counts the Kakao 3005s looked up until their final result.
func (d *Dispatcher) KakaoAwaiting() int {
	if d.kakao == nil {
		return 0
	}
	return d.kakao.awaiting()
}
