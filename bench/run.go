// Package bench is the load harness: it drives a relay (one started in
// this process with simulated carriers, or a running relayd) through the
// upstream protocol, follows every message to its final report, and checks
// that nothing was lost or billed twice.
//
//	loader (Conns × Window submitters) ──upstream TCP──▶ relay ──SMPP──▶ simulated SMSCs
//	        ◀──────────────── final reports ───────────────┘ ◀── receipts ──┘
//
// Run is the whole scenario; cmd/relaybench only binds flags to Config.
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/pdu"
)

// Run plays one scenario and returns its figures. The error is for a
// scenario that could not run; lost or double-billed messages are in the
// Result, for the caller to judge.
func Run(ctx context.Context, c Config) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	if c.Customers == 0 {
		c.Customers = c.Conns
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	t := newTracker("r" + strconv.FormatInt(time.Now().UnixNano(), 36))
	if c.Ingress == "" {
		c.Ingress = IngressUpstream
	}
	res := Result{Mode: c.Addr, Ingress: c.Ingress}
	addr := c.Addr
	creds := func(int) (string, string) { return c.Customer, c.Secret }
	var p *inproc
	if c.Addr == "" {
		var err error
		if p, err = startInproc(ctx, &c, c.Logger); err != nil {
			return res, err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			p.close(sctx)
		}()
		res.Mode, addr = "in-process", p.d.UpstreamAddr()
		creds = func(i int) (string, string) { return customerID(i % c.Customers), p.secret }
		if c.Ingress == IngressSMPP {
			addr = p.d.SMPPAddr()
			creds = func(i int) (string, string) { return customerID(i % c.Customers), benchSMPPPassword }
		}
	}
	// Everything started from here on is the loader's (see cpusplit.go).
	lctx := pprof.WithLabels(ctx, pprof.Labels(partLabel, partLoader))
	pprof.SetGoroutineLabels(lctx)
	defer pprof.SetGoroutineLabels(ctx)
	ctx = lctx
	l := &load{cfg: &c, t: t}
	run := l.run
	if c.Ingress == IngressSMPP {
		sl := &smppLoad{load: l, ids: map[string]int{}, early: map[string]pdu.MessageState{}}
		defer sl.close()
		if err := dialSMPP(ctx, &c, addr, creds, sl); err != nil {
			return res, err
		}
		run = sl.run
	} else {
		clients, err := dialAll(ctx, &c, addr, creds, t)
		if err != nil {
			return res, err
		}
		defer func() {
			for _, cl := range clients {
				cl.Close()
			}
		}()
		l.clients = clients
	}
	if c.Ingress == IngressHTTP {
		l.http = newHTTPLoad(&c, p.d.HTTPAddr())
		defer l.http.close()
	}
	stopProgress := progress(&c, l)
	cpuPID := c.PID
	if p != nil {
		cpuPID = 0 // this process
	}
	var prof *cpuProfile
	if c.CPUSplit {
		var err error
		if prof, err = startCPUProfile(); err != nil {
			return res, err
		}
	}
	cpu0, allocs0 := cpuTime(cpuPID), heapAllocs()
	t.start = time.Now() // from the first submit, not from start-up
	run(ctx)
	sendTook := time.Since(t.start)
	l.draining.Store(true)
	drain(ctx, c.Drain, t)
	total := time.Since(t.start)
	cpu, allocs := cpuTime(cpuPID)-cpu0, heapAllocs()-allocs0
	var profile []byte
	if prof != nil {
		profile = prof.stop()
	}
	stopProgress()

	sent := int(l.sent.Load())
	res.Sent = l.sent.Load()
	res.Accepted, res.Refused, res.Errors = t.accepted.Load(), t.refused.Load(), t.errors.Load()
	res.Delivered, res.Failed, res.Expired = t.delivered.Load(), t.failed.Load(), t.expired.Load()
	res.Lost = t.lost(sent)
	res.Billed = map[string]int64{}
	for p := range t.billed {
		if n := t.billed[p].Load(); n > 0 {
			res.Billed[strings.ToLower(strings.TrimPrefix(upstreampb.Product(p).String(), "PRODUCT_"))] = n
		}
	}
	res.DuplicateReports, res.DoubleBilled = t.duplicates.Load(), t.doubleBilled.Load()
	res.AcceptedPerS = float64(res.Accepted) / sendTook.Seconds()
	if last := time.Duration(t.lastFinal.Load()); last > 0 {
		res.ReportsPerS = float64(t.finals.Load()) / last.Seconds()
	}
	res.AcceptP50ms, res.AcceptP99ms, res.AcceptP999ms = ms(t.acceptLat.Quantile(0.5)), ms(t.acceptLat.Quantile(0.99)), ms(t.acceptLat.Quantile(0.999))
	res.ReportP50ms, res.ReportP99ms = ms(t.reportLat.Quantile(0.5)), ms(t.reportLat.Quantile(0.99))
	res.SendSeconds, res.TotalSeconds = sendTook.Seconds(), total.Seconds()
	res.LoadAvg = loadAvg()
	if res.Sent > 0 && (p != nil || c.PID > 0) {
		res.CPUPerMsgUs = float64(cpu.Microseconds()) / float64(res.Sent)
	}
	if p != nil && res.Sent > 0 {
		res.AllocsPerMsg = float64(allocs) / float64(res.Sent)
	}
	if profile != nil {
		sp, err := splitCPU(profile, res.CPUPerMsgUs)
		if err != nil {
			return res, err
		}
		res.CPURelayUs, res.CPULoaderUs, res.CPUSimulatorUs, res.CPURuntimeUs = sp.Relay, sp.Loader, sp.Simulator, sp.Runtime
		res.CPUSplitSamples = sp.Samples
	}
	if p != nil {
		res.RelayPeakRSSMiB = peakRSSMiB(0)
		if err := p.checkBilling(&c, &res); err != nil {
			return res, err
		}
	} else if c.PID > 0 {
		res.RelayPeakRSSMiB = peakRSSMiB(c.PID)
	}
	return res, nil
}

// heapAllocs counts the heap objects this process has allocated so far.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// drain waits until every accepted message has its final report, or the
// bound passes. Reports of messages whose answer never came do not count.
func drain(ctx context.Context, bound time.Duration, t *tracker) {
	deadline := time.Now().Add(bound)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for t.settled.Load() < t.accepted.Load() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// progress calls c.Progress every ProgressEvery until the returned stop.
func progress(c *Config, l *load) (stop func()) {
	if c.Progress == nil {
		return func() {}
	}
	every := c.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	done, finished := make(chan struct{}), make(chan struct{})
	report := func() {
		c.Progress(Progress{
			Elapsed: time.Since(l.t.start), Target: c.Messages,
			Sent: l.sent.Load(), Accepted: l.t.accepted.Load(), Reports: l.t.finals.Load(),
			Draining: l.draining.Load(),
		})
	}
	go func() {
		defer close(finished)
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-done:
				report()
				return
			case <-tk.C:
				report()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// checkBilling compares, for each customer, the store's billing counters
// with a recount of the delivered records and with the delivered reports.
func (p *inproc) checkBilling(c *Config, res *Result) error {
	st := p.d.Store()
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return err
	}
	months := map[string]bool{time.Now().In(loc).Format("2006-01"): true}
	var counted uint64
	for i := range c.Customers {
		for month := range months {
			got, err := st.MonthCounts(customerID(i), month)
			if err != nil {
				return fmt.Errorf("bench: month counts: %w", err)
			}
			want, err := st.Recount(customerID(i), month)
			if err != nil {
				return fmt.Errorf("bench: recount: %w", err)
			}
			for prod, n := range got {
				counted += n
				res.BillingMismatch += abs(int64(n) - int64(want[prod]))
			}
			for prod, n := range want {
				if _, ok := got[prod]; !ok {
					res.BillingMismatch += int64(n)
				}
			}
		}
	}
	res.BillingMismatch += abs(int64(counted) - res.Delivered)
	if int64(counted) > res.Delivered {
		// More bills than delivered messages: count the surplus as double
		// billing, whatever the reports said.
		res.DoubleBilled = max(res.DoubleBilled, int64(counted)-res.Delivered)
	}
	return nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
