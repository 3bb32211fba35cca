// Package relay is the daemon: it wires the upstream protocol, the checks at
// the door, the store, the dispatcher and the carriers' SMPP binds into one
// process, and owns its start-up and shut-down order.
//
//	upstream ──TCP──▶ ingress ──▶ store ──▶ dispatcher ──▶ carrier binds ──▶ SMSCs
//	         ◀─ reports (outbox) ─┘  ▲                          │
//	                                 └──── correlator ◀── deliver_sm
//
// Shutdown order, written once (Daemon.Shutdown): stop intake → stop
// taking messages off the queues → drain the windows with a deadline →
// unbind → close the store. Nothing acknowledged lives only in memory, so a
// SIGKILL at any point loses nothing: Start recovers every open message.
package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/smpp/smpptest"
	"github.com/msgrelay/relay/store"
)

// Options are the daemon's collaborators, injected for tests.
type Options struct {
	Logger *slog.Logger
	// Now is the wall clock (store times, the door's night rules, expiry).
	Now func() time.Time
	// Metrics is where every component registers; nil means a new set.
	Metrics *metrics.Set
	// StoreOptions, when set, adjusts the store's options before it opens
	// (fault tests inject a failing or slow file system through its FS).
	StoreOptions func(*store.Options)
	// Started, when set, is called by Run once the relay takes traffic.
	Started func(*Daemon)
}

// Daemon is a running relay.
type Daemon struct {
	cfg  *Config
	opts Options
	log  *slog.Logger
	set  *metrics.Set

	st       *store.Store
	reg      *customer.Registry
	carriers map[string]*carrier
	disp     *dispatcher
	in       *ingress
	hub      *reportHub
	up       *upstream.Server
	upLn     net.Listener
	ops      *http.Server
	opsLn    net.Listener
	sims     []*smpptest.Server
	m        *relayMetrics
	state    *runtimeState
	payments *payment.Registry
	kakao    *kakaoLeg
	audit    *admin.FileAudit
	adminLn  net.Listener

	stopAdmin context.CancelFunc

	stop       context.CancelFunc // stops taking new work off the queues
	stopSend   context.CancelFunc // ends sends still in flight
	g          group
	background group // the listeners' Serve loops
}

// Start opens the store, binds to the carriers, recovers open messages and
// starts listening. It returns once the relay takes traffic.
func Start(cfg *Config, opts Options) (_ *Daemon, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewSet()
	}
	d := &Daemon{cfg: cfg, opts: opts, log: opts.Logger, set: opts.Metrics, hub: newReportHub(),
		carriers: map[string]*carrier{}}
	defer func() {
		if err != nil {
			d.abort()
		}
	}()
	step := func(what string, f func() error) error {
		t := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("relay: %s: %w", what, err)
		}
		d.log.Info("relay: start: "+what, "took", time.Since(t).Round(time.Microsecond))
		return nil
	}
	if err := step("open store", d.openStore); err != nil {
		return nil, err
	}
	if err := step("load customers", d.loadCustomers); err != nil {
		return nil, err
	}
	if err := step("bind carriers", d.bindCarriers); err != nil {
		return nil, err
	}
	if err := step("recover open messages", d.recoverOpen); err != nil {
		return nil, err
	}
	if err := step("listen upstream", d.listenUpstream); err != nil {
		return nil, err
	}
	if err := step("listen ops", d.listenOps); err != nil {
		return nil, err
	}
	if err := step("listen admin", d.listenAdmin); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Daemon) openStore() error {
	o := store.Options{Now: d.opts.Now, Logger: d.log, Metrics: d.set, OnReports: d.hub.wake}
	if d.opts.StoreOptions != nil {
		d.opts.StoreOptions(&o)
		if o.OnReports == nil {
			o.OnReports = d.hub.wake
		}
	}
	st, err := store.Open(d.cfg.DataDir, o)
	if err != nil {
		return err
	}
	d.st = st
	return nil
}

func (d *Daemon) loadCustomers() error {
	state, err := loadRuntimeState(d.cfg.DataDir)
	if err != nil {
		return err
	}
	d.state = state
	cs, err := customer.Load(d.cfg.Customers, customer.LoadOptions{})
	if err != nil {
		return err
	}
	d.reg = customer.NewRegistry(state.applyCustomers(cs), customer.Options{Observer: state, Logger: d.log})
	return d.loadPayments()
}

func (d *Daemon) bindCarriers() error {
	names := make([]string, 0, len(d.cfg.Carriers))
	for _, cc := range d.cfg.Carriers {
		names = append(names, cc.Name)
	}
	d.m = newRelayMetrics(d.set, names)
	corr := &correlator{st: d.st, m: d.m, log: newRateLog(d.log, 10*time.Second)}
	for _, cc := range d.cfg.Carriers {
		addr := cc.Addr
		pw, err := cc.password()
		if err != nil {
			return err
		}
		if addr == "sim" {
			sim, err := d.simulate(&cc, pw)
			if err != nil {
				return err
			}
			addr = sim.Addr()
		}
		c, err := newCarrier(cc, addr, pw, d.cfg.Dispatch.Validity.D(), corr.handler, d.log, d.set)
		if err != nil {
			return err
		}
		d.carriers[cc.Name] = c
	}
	router, err := route.New(d.cfg.Routes, func(name string) bool {
		c := d.carriers[name]
		return c != nil && c.live()
	})
	if err != nil {
		return err
	}
	d.disp = &dispatcher{
		st: d.st, cfg: d.cfg.Dispatch, router: router, carriers: d.carriers,
		log: d.log, m: d.m, now: d.opts.Now, pending: newFIFO(), later: newDelay(time.Now), // backoffs are relative: monotonic time, not the wall clock
	}
	if d.cfg.Kakao.BaseURL != "" {
		k, err := newKakaoLeg(d.cfg.Kakao, d)
		if err != nil {
			return fmt.Errorf("kakao: %w", err)
		}
		d.kakao, d.disp.kakao = k, k
	}
	d.set.NewGauge(`relay_dispatch_queue_depth`, func() float64 { return float64(d.disp.depth()) })
	return nil
}

// simulate starts an in-process simulated SMSC for a carrier whose addr is
// "sim" (the dev configuration).
func (d *Daemon) simulate(cc *CarrierConfig, password string) (*smpptest.Server, error) {
	if cc.SystemID == "" {
		cc.SystemID = "relay"
	}
	sim, err := smpptest.NewServer(smpptest.Config{
		Users:        map[string]string{cc.SystemID: password},
		Receipts:     smpptest.ReceiptBoth,
		ReceiptDelay: d.cfg.Simulate.ReceiptDelay.D(),
		FailRatio:    d.cfg.Simulate.FailRatio,
		Logger:       d.log,
	})
	if err != nil {
		return nil, err
	}
	d.sims = append(d.sims, sim)
	d.log.Info("relay: simulated SMSC", "carrier", cc.Name, "addr", sim.Addr())
	return sim, nil
}

func (d *Daemon) recoverOpen() error {
	var open []*message.Message
	waiting := 0
	stats, err := d.st.Recover(func(m *message.Message) error {
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
	d.log.Info("relay: recovered open messages", "open", stats.Open, "to_send", len(open),
		"awaiting_result", waiting, "scan", stats.Took)
	stopCtx, stop := context.WithCancel(context.Background())
	sendCtx, stopSend := context.WithCancel(context.Background())
	d.stop, d.stopSend = stop, stopSend
	d.disp.start(stopCtx, sendCtx, &d.g)
	if d.kakao != nil {
		d.kakao.start(stopCtx, sendCtx, &d.g)
	}
	d.disp.enqueue(open...)
	d.g.Go(func() {
		every(stopCtx, d.cfg.Dispatch.ExpiryScan.D(), func(ctx context.Context) { d.ExpireNow(ctx) })
	})
	d.g.Go(func() {
		every(stopCtx, d.cfg.Retention.Every.D(), func(ctx context.Context) { d.PurgeNow(ctx) })
	})
	return nil
}

func (d *Daemon) listenUpstream() error {
	dc, err := door.New(d.cfg.Door, door.Options{Metrics: d.set})
	if err != nil {
		return err
	}
	d.in = &ingress{reg: d.reg, door: dc, st: d.st, disp: d.disp, hub: d.hub, m: d.m, now: d.opts.Now,
		payments: d.paymentSubmitter(dc)}
	ucfg := d.cfg.Upstream.server()
	if d.cfg.Upstream.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(d.cfg.Upstream.TLSCert, d.cfg.Upstream.TLSKey)
		if err != nil {
			return err
		}
		ucfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	up, err := upstream.NewServer(ucfg, d.in, d.log, d.set)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", d.cfg.Upstream.Listen)
	if err != nil {
		return err
	}
	d.up, d.upLn = up, ln
	d.background.Go(func() { _ = up.Serve(ln) })
	d.log.Info("relay: upstream listening", "addr", ln.Addr().String())
	return nil
}

// UpstreamAddr is where upstream gateways connect.
func (d *Daemon) UpstreamAddr() string { return d.upLn.Addr().String() }

// OpsAddr is the metrics and health endpoint, "" if disabled.
func (d *Daemon) OpsAddr() string {
	if d.opsLn == nil {
		return ""
	}
	return d.opsLn.Addr().String()
}

// Store is the daemon's store, for tests and tools in this process.
func (d *Daemon) Store() *store.Store { return d.st }

// Customers is the live customer registry.
func (d *Daemon) Customers() *customer.Registry { return d.reg }

// Simulators are the in-process SMSCs of carriers configured as "sim".
func (d *Daemon) Simulators() []*smpptest.Server { return d.sims }

// every runs f every period until ctx ends: the expiry scan, and the
// retention purge (which deletes in bounded batches, so traffic goes on).
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

// ExpireNow closes every message whose result window has passed, as the
// periodic scan does.
func (d *Daemon) ExpireNow(ctx context.Context) int {
	total := 0
	for {
		ids, err := d.st.ExpireDue(ctx, d.opts.Now(), 512)
		if err != nil {
			d.log.Error("relay: expiry scan", "err", err)
			break
		}
		total += len(ids)
		if len(ids) < 512 {
			break
		}
	}
	if total > 0 {
		d.m.expired.Add(total)
		d.log.Info("relay: expired messages without a result", "count", total)
	}
	if _, err := d.st.DropStaleParked(ctx, d.opts.Now(), 512); err != nil {
		d.log.Error("relay: dropping stale parked receipts", "err", err)
	}
	return total
}

// Shutdown drains and stops the relay in the one order that loses nothing.
func (d *Daemon) Shutdown(ctx context.Context) error {
	var errs []error
	timed := func(what string, f func() error) {
		t := time.Now()
		if err := f(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		d.log.Info("relay: stop: "+what, "took", time.Since(t).Round(time.Microsecond))
	}
	timed("stop intake", func() error {
		d.in.closing.Store(true)
		return d.up.Close(ctx)
	})
	timed("stop dispatch", func() error { d.stop(); return nil })
	timed("drain windows and unbind", func() error {
		for _, c := range d.carriers {
			c.close(ctx)
		}
		return nil
	})
	timed("wait for workers", func() error { d.stopSend(); d.g.Wait(); return nil })
	if d.kakao != nil {
		d.kakao.close()
	}
	timed("stop ops and admin", func() error {
		if d.stopAdmin != nil {
			d.stopAdmin()
		}
		if d.ops != nil {
			return d.ops.Shutdown(ctx)
		}
		return nil
	})
	d.background.Wait()
	for _, s := range d.sims {
		s.Close()
	}
	if d.audit != nil {
		timed("close audit log", d.audit.Close)
	}
	timed("close store", d.st.Close)
	return errors.Join(errs...)
}

// abort undoes a failed Start.
func (d *Daemon) abort() {
	if d.stop != nil {
		d.stop()
		d.stopSend()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if d.up != nil {
		_ = d.up.Close(ctx)
	}
	if d.ops != nil {
		_ = d.ops.Shutdown(ctx)
	}
	if d.stopAdmin != nil {
		d.stopAdmin()
	}
	for _, c := range d.carriers {
		c.close(ctx)
	}
	d.g.Wait()
	d.background.Wait()
	for _, s := range d.sims {
		s.Close()
	}
	if d.kakao != nil {
		d.kakao.close()
	}
	if d.audit != nil {
		_ = d.audit.Close()
	}
	if d.st != nil {
		_ = d.st.Close()
	}
}

// Run starts the relay, serves until ctx ends, then shuts down within the
// configured timeout.
func Run(ctx context.Context, cfg *Config, opts Options) error {
	d, err := Start(cfg, opts)
	if err != nil {
		return err
	}
	if opts.Started != nil {
		opts.Started(d)
	}
	var failed error
	select {
	case <-ctx.Done():
	case <-d.st.Failed():
		// A commit failed (disk full, I/O error): the store refuses every
		// write until it is reopened. Exit non-zero so the supervisor
		// restarts the relay, which replays what was synced and resumes;
		// nothing acknowledged is lost, since nothing is acknowledged
		// before its commit.
		failed = errors.New("relay: the store failed a commit; exiting so a restart can recover it")
		d.log.Error(failed.Error())
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.D())
	defer cancel()
	return errors.Join(failed, d.Shutdown(sctx))
}
