// Package relay is the composition root: it reads the configuration, wires
// the ingresses, the one accept path (relay/intake), the store and the
// dispatcher (relay/dispatch) into one process, serves ops and admin, and
// owns the start-up and shut-down order. It does no work of its own.
//
//	upstream ──TCP──▶ intake (door → store → enqueue) ──▶ dispatch ──▶ carriers, Kakao
//	         ◀─ reports (store outbox, intake.Hub) ◀──────── correlator ◀── receipts
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
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/datadir"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/ops"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/smppserver"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/webhook"
	"github.com/msgrelay/relay/relay/webhook/webhooktest"
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
	// LoadConfig reads the configuration again for a reload (relayd:
	// LoadConfig of its -config file); nil refuses every reload.
	LoadConfig func() (*Config, error)
	// Reload, when set, asks Run to reload the configuration (SIGHUP);
	// each reload is logged and audited.
	Reload <-chan struct{}
}

// Daemon is a running relay.
type Daemon struct {
	cfg  *Config
	opts Options
	log  *slog.Logger
	set  *metrics.Set

	st      *store.Store
	cluster *cluster.Node // nil without [cluster]
	// sharedState is the cluster's shared customer state (nil without
	// [cluster]); runtimeState writes to it, applyShared reads it.
	sharedState *cluster.State
	members     *cluster.Members // the live nodes, which split the customers' rates; nil without [cluster]
	billing     *cluster.Billing // every node's billing counters and the issued statements; nil without [cluster]
	reg         *customer.Registry
	sims        *simDialer
	disp        *dispatch.Dispatcher
	intake      *intake.Intake
	load        *ingressLoad // intake as the SMPP server and HTTP API use it, counted for /status
	hub         *intake.Hub
	up          *upstream.Server
	upLn        net.Listener
	smpp        *smppserver.Server // nil without [smpp_server] listen
	smppLn      net.Listener
	ops         *http.Server
	opsLn       net.Listener
	state       *runtimeState
	payments    *payment.Registry
	paySubmit   *payment.Submitter
	rules       *rules // AlimTalk templates, opt-out lists
	door        *door.Checker
	admin       *admin.Server // nil without [admin] listen
	audit       *admin.FileAudit
	access      *ops.AccessLog // nil without access_log
	adminLn     net.Listener

	httpSrv     *httpapi.Server
	httpLn      net.Listener
	webhooks    *webhook.Sender
	devReceiver *webhooktest.Server

	reportExpiry *reportExpiry // drops reports nobody took within 48 h, for every door

	reloadMu sync.Mutex // one reload at a time

	stopAdmin context.CancelFunc
	stopPurge context.CancelFunc
	stopMove  context.CancelFunc // ends the move of runtime.json's changes to the cluster, if under way

	background sync.WaitGroup // the listeners' Serve loops and the purge
}

// Start checks what start-up needs (CheckSecrets), then opens the store,
// binds to the carriers, recovers open messages and starts listening. It
// returns once the relay takes traffic.
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
	d := &Daemon{cfg: cfg, opts: opts, log: opts.Logger, set: opts.Metrics, hub: intake.NewHub(),
		sims: &simDialer{cfg: cfg.Simulate, dir: cfg.DataDir, log: opts.Logger}}
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
	if err := step("check config", cfg.CheckSecrets); err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings() {
		d.log.Warn("relay: config: " + w)
	}
	if err := step("open store", d.openStore); err != nil {
		return nil, err
	}
	if err := step("join cluster", d.joinCluster); err != nil {
		return nil, err
	}
	if err := step("load customers", d.loadCustomers); err != nil {
		return nil, err
	}
	if err := step("share state", d.shareState); err != nil {
		return nil, err
	}
	if err := step("share billing", d.shareBilling); err != nil {
		return nil, err
	}
	if err := step("bind carriers", d.bindCarriers); err != nil {
		return nil, err
	}
	if err := step("recover open messages", d.disp.Recover); err != nil {
		return nil, err
	}
	if err := step("start dispatch", d.startDispatch); err != nil {
		return nil, err
	}
	if err := step("open intake", d.openIntake); err != nil {
		return nil, err
	}
	if err := step("share rates", d.shareRates); err != nil {
		return nil, err
	}
	if err := step("start webhooks", d.startWebhooks); err != nil {
		return nil, err
	}
	if err := step("wait for the cluster", d.awaitCluster); err != nil {
		return nil, err
	}
	if err := step("listen upstream", d.listenUpstream); err != nil {
		return nil, err
	}
	if err := step("listen http", d.listenHTTP); err != nil {
		return nil, err
	}
	if err := step("listen SMPP", d.listenSMPP); err != nil {
		return nil, err
	}
	if err := step("listen ops", d.listenOps); err != nil {
		return nil, err
	}
	if err := step("listen admin", d.listenAdmin); err != nil {
		return nil, err
	}
	d.log.Info("relay: ready", d.addrs()...)
	return d, nil
}

func (d *Daemon) openStore() error {
	o := store.Options{Now: d.opts.Now, Logger: d.log, Metrics: d.set, OnReports: d.hub.Wake,
		Validity: d.cfg.Dispatch.Validity, ParkedTTL: d.cfg.Dispatch.ParkedReceiptTTL, IDNode: uint8(d.cfg.Cluster.NodeNumber),
		Accounts: dispatch.Accounts(d.cfg.Carriers)}
	if d.opts.StoreOptions != nil {
		d.opts.StoreOptions(&o)
		if o.OnReports == nil {
			o.OnReports = d.hub.Wake
		}
	}
	if err := datadir.Prepare(d.cfg.DataDir, d.cfg.AllowSharedDataDir); err != nil {
		return err
	}
	if d.cfg.AccessLog != "" {
		a, err := ops.OpenAccessLog(d.cfg.AccessLog, d.set)
		if err != nil {
			return err
		}
		d.access, o.OnFinal = a, a.Record
	}
	st, err := store.Open(d.cfg.DataDir, o)
	if err != nil {
		return err
	}
	d.st = st
	return nil
}

func (d *Daemon) loadCustomers() error {
	state, err := loadRuntimeState(d.cfg.DataDir, d.cfg.Cluster.Enabled())
	if err != nil {
		return err
	}
	d.state = state
	cs, err := customer.Load(d.cfg.Customers, customer.LoadOptions{})
	if err != nil {
		return err
	}
	d.reg = customer.NewRegistry(state.applyCustomers(cs), customer.Options{Observer: state, Logger: d.log,
		Reserved: []string{d.cfg.representative()}, Shared: state.shared(d.cfg.SharedSenders)})
	if err := d.loadRules(); err != nil {
		return err
	}
	return d.loadPayments()
}

func (d *Daemon) bindCarriers() error {
	disp, err := dispatch.New(d.cfg.Dispatch, d.cfg.Carriers, d.cfg.Routes, d.cfg.Kakao, dispatch.Options{
		Store: d.st, Logger: d.log, Metrics: d.set, Now: d.opts.Now, Door: d.cfg.Door, Dialer: d.sims,
		Drained:   d.state.drained(),
		Elsewhere: d.elsewhere(),
		Slots:     d.bindSlots(),
	})
	if err != nil {
		return err
	}
	d.disp = disp
	return nil
}

// startDispatch starts sending, the retention purge and the expiry of
// reports nobody took.
func (d *Daemon) startDispatch() error {
	d.disp.Start()
	ctx, cancel := context.WithCancel(context.Background())
	d.stopPurge = cancel
	d.reportExpiry = newReportExpiry(d.st, d.opts.Now, d.reportsByWebhook, d.set)
	d.background.Go(func() { d.reportExpiry.run(ctx, d.log) })
	d.background.Go(func() {
		t := time.NewTicker(d.cfg.Retention.Every.D())
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.PurgeNow(ctx)
			}
		}
	})
	return nil
}

// openIntake builds the one accept path every ingress shares.
func (d *Daemon) openIntake() error {
	dc, err := door.New(d.cfg.Door, door.Options{Metrics: d.set,
		OptOuts: d.rules.optOuts, Templates: d.rules.templates, Reserved: []string{d.cfg.representative()},
		Validity: d.cfg.Dispatch.Validity})
	if err != nil {
		return err
	}
	d.door = dc
	d.intake = intake.New(intake.Options{Customers: d.reg, Door: dc, Store: d.st, Enqueue: d.disp.Enqueue,
		Now: d.opts.Now, Metrics: d.set, Backlog: d.disp, Admission: d.cfg.Admission, Refs: d.refs()})
	d.load = newIngressLoad(d.intake)
	return d.openPayments(dc)
}

func (d *Daemon) listenUpstream() error {
	in := &upstreamIngress{reg: d.reg, accept: d.intake, st: d.st, hub: d.hub, byWebhook: d.reportsByWebhook, payments: d.paySubmit}
	ucfg := d.cfg.Upstream.server()
	if d.cfg.Upstream.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(d.cfg.Upstream.TLSCert, d.cfg.Upstream.TLSKey)
		if err != nil {
			return err
		}
		ucfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	up, err := upstream.NewServer(ucfg, in, d.log, d.set)
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
func (d *Daemon) Simulators() []*smpptest.Server { return d.sims.smscs }

// ExpireNow closes every message whose result window has passed, as the
// periodic scan does.
func (d *Daemon) ExpireNow(ctx context.Context) int { return d.disp.ExpireNow(ctx) }

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
		httpErr := d.stopHTTP(ctx) // its requests in flight are answered first
		d.intake.Close()
		return errors.Join(httpErr, d.up.Close(ctx), d.closeSMPP(ctx))
	})
	timed("stop dispatch", func() error { d.disp.Stop(); d.stopPurge(); return nil })
	timed("drain windows and unbind", func() error { d.disp.Unbind(ctx); return nil })
	timed("wait for workers", func() error { d.disp.Wait(); return nil })
	timed("leave cluster", func() error { d.stopMoving(); return d.leaveCluster() })
	timed("stop webhooks", func() error { d.stopWebhooks(); return nil })
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
	d.sims.close()
	if d.audit != nil {
		timed("close audit log", d.audit.Close)
	}
	timed("close rules", d.rules.close)
	timed("close store", d.st.Close)
	if d.access != nil {
		timed("close access log", d.access.Close)
	}
	return errors.Join(errs...)
}

// abort undoes a failed Start.
func (d *Daemon) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if d.intake != nil {
		d.intake.Close()
	}
	if d.up != nil {
		_ = d.up.Close(ctx)
	}
	if d.httpSrv != nil {
		_ = d.httpSrv.Shutdown(ctx)
	}
	_ = d.closeSMPP(ctx)
	d.stopWebhooks()
	if d.ops != nil {
		_ = d.ops.Shutdown(ctx)
	}
	if d.stopAdmin != nil {
		d.stopAdmin()
	}
	if d.stopPurge != nil {
		d.stopPurge()
	}
	d.stopMoving()
	if d.disp != nil {
		d.disp.Close(ctx)
	}
	d.background.Wait()
	d.sims.close()
	_ = d.leaveCluster()
	if d.audit != nil {
		_ = d.audit.Close()
	}
	_ = d.rules.close()
	if d.st != nil {
		_ = d.st.Close()
	}
	if d.access != nil {
		_ = d.access.Close()
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
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-opts.Reload:
			d.reloadBySignal(ctx)
		case <-d.st.Failed():
			// A commit failed (disk full, I/O error): the store refuses every
			// write until it is reopened. Exit non-zero so the supervisor
			// restarts the relay, which replays what was synced and resumes;
			// nothing acknowledged is lost, since nothing is acknowledged
			// before its commit.
			failed = errors.New("relay: the store failed a commit; exiting so a restart can recover it")
			d.log.Error(failed.Error())
			running = false
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.D())
	defer cancel()
	return errors.Join(failed, d.Shutdown(sctx))
}
