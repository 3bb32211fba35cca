package faults

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// carrierRig is an in-process relay with one simulated carrier.
type carrierRig struct {
	t     *testing.T
	p     *Inproc
	c     *Carrier
	dir   string
	bound int // sockets the carrier lets be bound at once
	set   *metrics.Set
}

// newCarrierRig starts the relay and waits for bound sockets at the
// carrier (fewer than the binds when the carrier caps them).
func newCarrierRig(t *testing.T, scfg smpptest.Config, s Setup, bound int) *carrierRig {
	t.Helper()
	scfg.Users = map[string]string{"relay": CarrierPassword}
	if scfg.MaxRecorded == 0 {
		scfg.MaxRecorded = 100_000
	}
	c, err := NewCarrier("alpha", scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dir := t.TempDir()
	s.DataDir, s.Customers, s.Carriers = dir+"/data", []string{"shop"}, []*Carrier{c}
	if s.Binds == 0 {
		s.Binds = 2
	}
	set := metrics.NewSet()
	p, err := StartInproc(dir, &s, relay.Options{Metrics: set})
	if err != nil {
		t.Fatal(err)
	}
	r := &carrierRig{t: t, p: p, c: c, dir: dir, bound: bound, set: set}
	t.Cleanup(func() {
		if r.p != nil {
			_ = r.p.Shutdown()
		}
	})
	if err := WaitBound(s.Carriers, bound, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *carrierRig) loader(prefix string, n int, rate float64) *Loader {
	addr := r.p.D.UpstreamAddr()
	return &Loader{Addr: func() string { return addr }, Customer: "shop", Prefix: prefix,
		Conns: 2, Window: 32, Messages: n, Rate: rate}
}

// run sends l's messages, calling during (if set) once the load is under
// way, waits for every final report, stops the relay and judges.
func (r *carrierRig) run(l *Loader, settle time.Duration, during func()) Verdict {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lctx, stopListen := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	loaded := make(chan struct{})
	go func() { defer wg.Done(); defer close(loaded); l.Run(ctx) }()
	go func() { defer wg.Done(); l.Listen(lctx) }()
	if during != nil {
		during()
	}
	<-loaded
	if !l.WaitSettled(ctx, settle, 3*time.Minute) {
		r.t.Logf("%d of %d accepted messages got a final report before the 48-hour expiry", l.Finals(), l.Accepted())
	}
	stopListen()
	wg.Wait()
	if now, _ := r.c.Server().OpenSockets("relay"); now != r.bound {
		r.t.Errorf("%d sockets open after the fault, want one per bind (%d)", now, r.bound)
	}
	if err := r.p.Shutdown(); err != nil {
		r.t.Error(err)
	}
	r.p = nil
	v, err := Check(r.dir+"/data", []string{"shop"}, l, []*Carrier{r.c})
	if err != nil {
		r.t.Fatal(err)
	}
	if v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 || v.ConflictingReports != 0 || v.MissingReports > v.ExpiredByWindow {
		r.t.Errorf("%v; examples %v", v, v.Examples)
	}
	if v.Accepted != l.Messages {
		r.t.Errorf("accepted %d of %d", v.Accepted, l.Messages)
	}
	// A handset gets a second copy only when the relay sent a submit again
	// without knowing what became of the first: a response timeout or a
	// link lost with the submit in flight. Each copy has such a resend
	// behind it, whatever the fault, and on a starved machine a healthy
	// carrier's answers can miss the response timeout too.
	if resent := r.resent(); v.HandsetDuplicates > resent {
		r.t.Errorf("handset duplicates %d > %d submits sent again after an unknown outcome", v.HandsetDuplicates, resent)
	}
	return v
}

// resent counts the carrier's submits the relay will send again without
// knowing their outcome (relay_submits_total: retry and abandoned).
func (r *carrierRig) resent() int {
	n := 0
	for _, result := range []string{"retry", "abandoned"} {
		n += int(r.set.GetOrCreateCounter(fmt.Sprintf(`relay_submits_total{carrier=%q,result=%q}`, r.c.Name, result)).Get())
	}
	return n
}

// waitFor polls cond every millisecond for up to d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(time.Millisecond) // polling sockets and counters
	}
	return time.Since(t0)
}

// TestCarrierFaults runs the carrier's misbehaviours one at a time under
// load. Pass for each: every message final and delivered (the carrier
// fails none, so no message may fail because of throttling, nacks or lost
// links), none billed twice, one socket per bind at the end, handset
// copies no more than the submits sent again after an unknown outcome
// (run), and some sent again where the fault left submits unanswered.
func TestCarrierFaults(t *testing.T) {
	n := Pick(600, 20_000)
	cases := []struct {
		name string
		scfg smpptest.Config
		// fault is switched on once the load runs, and off after the
		// relay has bound again
		fault *smpptest.Behavior
		// always is the misbehaviour of the whole run
		always smpptest.Behavior
		// full is the message count of the full form when not the default:
		// a carrier that throttles 2 of every 10 submits whatever the rate
		// holds the relay at its slowest rate (about 125/s on 2 binds).
		full int
	}{
		{name: "bind dropped mid-window", fault: &smpptest.Behavior{CloseAfter: 30}},
		{name: "reset mid-window", fault: &smpptest.Behavior{ResetAfter: 30}},
		{name: "generic_nack 1%", always: smpptest.Behavior{NackEvery: 100}},
		{name: "withheld responses 10%", always: smpptest.Behavior{DropEvery: 10}},
		{name: "throttled bursts 20%", always: smpptest.Behavior{BusyEvery: 8, BusyBurst: 2}, full: 5000},
		{name: "queue full bursts 20%", always: smpptest.Behavior{BusyEvery: 8, BusyBurst: 2, BusyStatus: pdu.StatusMsgQFul}, full: 5000},
		{name: "ESME_RALYBND on rebind", scfg: smpptest.Config{MaxBinds: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.scfg.Behavior = tc.always
			s := Setup{Binds: 2, ResponseTimeout: 500 * time.Millisecond, EnquireLink: time.Second}
			bound := 2
			if tc.scfg.MaxBinds > 0 {
				bound = tc.scfg.MaxBinds // the other bind keeps getting ESME_RALYBND
			}
			r := newCarrierRig(t, tc.scfg, s, bound)
			n := n
			if tc.full > 0 {
				n = Pick(n, tc.full)
			}
			l := r.loader("cf", n, 1000)
			var during func()
			if tc.fault != nil {
				during = func() {
					waitFor(t, "load under way", 30*time.Second, func() bool { return r.c.Stats().Submits > 20 })
					srv := r.c.Server()
					before := srv.Stats().Binds
					srv.SetBehavior(*tc.fault)
					waitFor(t, "a rebind after the fault", 30*time.Second, func() bool { return srv.Stats().Binds > before })
					srv.SetBehavior(smpptest.Behavior{})
				}
			}
			v := r.run(l, RestartQuiet, during)
			st := r.c.Stats()
			// The carrier fails no message. But when it withholds every
			// tenth answer, a message can meet five timeouts in a row
			// (about one in 10,000 of those retried), and the relay rightly
			// gives up on it: the full form sees one every few runs. The
			// simulated SMSC keeps receipts for the next bind, so none
			// should expire; a few may if a reset lands mid-handover.
			failed, gaveUp := 0, 0
			for code, k := range v.FailedCodes {
				failed += k
				if tc.always.DropEvery > 0 && strings.Contains(code, "gave up after") && strings.Contains(code, "response timeout") {
					gaveUp += k
				}
			}
			if failed > gaveUp || gaveUp > n/1000 || v.ExpiredByWindow > 2*64 {
				t.Errorf("failed: %v, expired for want of a receipt: %d; the carrier failed none", v.FailedCodes, v.ExpiredByWindow)
			}
			// Handset copies are judged in run, against the resends behind
			// them; a share of the submits would assume the machine's speed
			// (at load 27, 141 copies of 741 submits where the carrier
			// withheld 1 answer in 10: the healthy answers missed the
			// response timeout too). A fault that leaves submits unanswered
			// must make the relay send some again.
			if (tc.fault != nil || tc.always.DropEvery > 0) && r.resent() == 0 {
				t.Errorf("the fault left no submit to send again")
			}
			_, most := r.c.Server().OpenSockets("relay")
			t.Logf("%v submits=%d throttled=%d binds=%d refused_binds=%d most_sockets=%d",
				v, st.Submits, st.Throttled, st.Binds, st.BindsRefused, most)
			if most > bound {
				t.Errorf("%d sockets at once, configured %d binds", most, bound)
			}
		})
	}
}
