package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// killRig is relayd with two external carriers and a loader, for the
// crash scenarios.
type killRig struct {
	t        *testing.T
	bin      string
	cfg      string
	setup    *Setup
	carriers []*Carrier
	addr     atomic.Value // string
	r        *Relayd
	runs     []*Relayd
}

func newKillRig(t *testing.T, binds, window int, receiptDelay time.Duration, extra string) *killRig {
	t.Helper()
	SkipShort(t)
	bin, err := BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	k := &killRig{t: t, bin: bin}
	for i, name := range []string{"alpha", "beta"} {
		c, err := NewCarrier(name, smpptest.Config{
			Users: map[string]string{"relay": CarrierPassword}, ReceiptDelay: receiptDelay,
			Seed: uint64(i + 1), MaxRecorded: 1 << 21, MaxPending: 1 << 21, FailRatio: 0.02,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		k.carriers = append(k.carriers, c)
	}
	k.setup = &Setup{Customers: []string{"shop"}, Carriers: k.carriers, Binds: binds, Window: window, Extra: extra}
	k.cfg = writeSetup(t, k.setup)
	k.start()
	t.Cleanup(func() {
		if k.r != nil {
			k.r.Kill()
		}
	})
	return k
}

func (k *killRig) start() time.Duration {
	k.t.Helper()
	t0 := time.Now()
	r, err := StartRelayd(k.bin, k.cfg, nil)
	if err != nil {
		k.t.Fatal(err)
	}
	k.r = r
	k.runs = append(k.runs, r)
	k.addr.Store(r.Addr)
	return time.Since(t0)
}

// trouble is the warnings and errors of every run, at most n lines, each
// run's start marked: what a failing crash test shows.
func (k *killRig) trouble(n int) string {
	var b strings.Builder
	for i, r := range k.runs {
		fmt.Fprintf(&b, "--- run %d\n", i+1)
		b.WriteString(trouble(r.Logs(), n))
	}
	return b.String()
}

// trouble is the warnings and errors of a relay's log, and its recovery
// lines, at most n lines.
func trouble(logs string, n int) string {
	var b strings.Builder
	for _, line := range strings.Split(logs, "\n") {
		if n > 0 && (strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") ||
			strings.Contains(line, "recovered open messages")) {
			b.WriteString(line + "\n")
			n--
		}
	}
	return b.String()
}

// logs is every run's log, for grepping.
func (k *killRig) logs() string {
	var b strings.Builder
	for _, r := range k.runs {
		b.WriteString(r.Logs())
	}
	return b.String()
}

// TestSIGKILLLoop kills relayd with SIGKILL at random moments under load
// (during acceptance, mid-window, mid-receipt: the load never pauses) and
// restarts it, then checks that nothing acknowledged was lost or billed
// twice, and that the copies a handset got are bounded by what was in
// flight at each crash.
func TestSIGKILLLoop(t *testing.T) {
	cycles := Pick(5, 50)
	const binds, window = 2, 32
	k := newKillRig(t, binds, window, 300*time.Millisecond, "")
	l := &Loader{Addr: func() string { return k.addr.Load().(string) }, Customer: "shop",
		Prefix: "kill" + time.Now().Format("150405"), Conns: 4, Window: 32,
		Messages: cycles * 1500, Rate: 2500}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cycles)*20*time.Second+3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	lctx, stopListen := context.WithCancel(ctx)
	loaded := make(chan struct{})
	go func() { defer wg.Done(); defer close(loaded); l.Run(ctx) }()
	go func() { defer wg.Done(); l.Listen(lctx) }()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
	var restarts []time.Duration
	for c := range cycles {
		// A random moment of the load: 100 ms to 1.1 s after the start.
		wait := time.Duration(100+rng.IntN(1000)) * time.Millisecond
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			t.Fatalf("cycle %d: %v", c, ctx.Err())
		}
		k.r.Kill()
		restarts = append(restarts, k.start())
	}
	// Let the load finish and every report come.
	<-loaded
	all := l.WaitSettled(ctx, RestartQuiet, 3*time.Minute)
	stopListen()
	cancel()
	wg.Wait()
	if err := k.r.Stop(10 * time.Second); err != nil {
		t.Errorf("relayd did not stop cleanly after the loop: %v", err)
	}
	k.r = nil

	v, err := Check(k.setup.DataDir, k.setup.Customers, l, k.carriers)
	if err != nil {
		t.Fatal(err)
	}
	var worst time.Duration
	for _, d := range restarts {
		worst = max(worst, d)
	}
	t.Logf("cycles=%d %v all_reported_before_expiry=%v retries=%d refusals=%v restart_to_listen_max=%v",
		cycles, v, all, l.Retries(), l.Refusals(), worst)
	if v.Accepted < l.Messages*9/10 {
		t.Errorf("only %d of %d messages accepted", v.Accepted, l.Messages)
	}
	if v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 || v.ConflictingReports != 0 {
		t.Errorf("lost=%d double_billed=%d billing_mismatch=%d conflicting=%d; examples %v",
			v.Lost, v.DoubleBilled, v.BillingMismatch, v.ConflictingReports, v.Examples)
	}
	if v.MissingReports > v.ExpiredByWindow {
		t.Errorf("%d final messages never reported upstream (only %d were closed offline)", v.MissingReports, v.ExpiredByWindow)
	}
	// In flight at a crash: every bind's window of each carrier.
	bound := cycles * len(k.carriers) * binds * window
	if v.HandsetDuplicates > bound {
		t.Errorf("handset duplicates %d > %d (cycles × carriers × binds × window)", v.HandsetDuplicates, bound)
	}
	if logs := k.logs(); strings.Contains(logs, Secret) || strings.Contains(logs, CarrierPassword) {
		t.Error("a secret appears in relayd's logs")
	}
	if os.Getenv("RELAY_FAULTS_LOG") != "" {
		t.Log(k.logs())
	}
}
