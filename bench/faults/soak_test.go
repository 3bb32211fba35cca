package faults

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestSoak runs relayd at a steady rate (half of a sustainable rate by
// default; RELAY_SOAK_RATE overrides it) with a fault every few seconds
// in rotation: binds kicked, 1% generic_nack, throttle bursts, withheld
// responses. It samples the relay's RSS and goroutines. Pass: RSS drift
// (mean of the last third against the first third, after warm-up) ≤ 10%
// on runs of 5 minutes or more (shorter ones: RSS ≤ 512 MiB), goroutines
// back to their level, lost = 0, nothing billed twice.
func TestSoak(t *testing.T) {
	SkipShort(t)
	dur := Pick(30*time.Second, time.Hour)
	if v, err := time.ParseDuration(os.Getenv("RELAY_SOAK_FOR")); err == nil && v > 0 {
		dur = v
	}
	every := Pick(2*time.Second, 30*time.Second)
	warm := Pick(6*time.Second, 5*time.Minute)
	if dur < time.Hour && dur >= 5*time.Minute {
		warm = 2 * time.Minute
	}
	rate := 1000.0
	if v, err := strconv.ParseFloat(os.Getenv("RELAY_SOAK_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	bin, err := BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	var carriers []*Carrier
	for i, name := range []string{"alpha", "beta"} {
		c, err := NewCarrier(name, smpptest.Config{Users: map[string]string{"relay": CarrierPassword},
			ReceiptDelay: 200 * time.Millisecond, Seed: uint64(i + 1), MaxRecorded: 1 << 20, MaxPending: 1 << 21})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		carriers = append(carriers, c)
	}
	ops, err := loopback.Addr()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &Setup{DataDir: filepath.Join(dir, "data"), Customers: []string{"shop"}, Carriers: carriers,
		Binds: 2, Window: 64, ResponseTimeout: time.Second, EnquireLink: 2 * time.Second}
	text, err := s.Text()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "relay.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("ops_listen = %q\n", ops)+text), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := StartRelayd(bin, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Kill() }()
	if err := WaitBound(carriers, 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}

	l := &Loader{Addr: func() string { return r.Addr }, Customer: "shop", Prefix: "soak", Conns: 4, Window: 32,
		Messages: int(rate*dur.Seconds()) + 1, Rate: rate}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	lctx, stopListen := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); l.Run(ctx) }()
	go func() { defer wg.Done(); l.Listen(lctx) }()
	faults := []func(*smpptest.Server){
		func(s *smpptest.Server) { s.Kick("relay") },
		func(s *smpptest.Server) { s.SetBehavior(smpptest.Behavior{NackEvery: 100}) },
		func(s *smpptest.Server) { s.SetBehavior(smpptest.Behavior{BusyEvery: 8, BusyBurst: 2}) },
		func(s *smpptest.Server) { s.SetBehavior(smpptest.Behavior{DropEvery: 50}) },
		func(s *smpptest.Server) {
			s.SetBehavior(smpptest.Behavior{BusyEvery: 8, BusyBurst: 2, BusyStatus: pdu.StatusMsgQFul})
		},
	}
	go func() { // the fault rotation, one carrier at a time
		defer wg.Done()
		tk := time.NewTicker(every)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				for _, c := range carriers {
					c.Server().SetBehavior(smpptest.Behavior{})
				}
				return
			case <-tk.C:
			}
			c := carriers[i%len(carriers)]
			c.Server().SetBehavior(smpptest.Behavior{})
			faults[i%len(faults)](c.Server())
		}
	}()
	type sample struct {
		at         time.Duration
		rss, heap  float64
		goroutines int
	}
	var samples []sample
	t0 := time.Now()
	tk := time.NewTicker(Pick(time.Second, 30*time.Second))
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tk.C:
			g, heap := goroutines(ops)
			samples = append(samples, sample{time.Since(t0), RSSMiB(r.PID()), heap, g})
		}
	}
	tk.Stop()
	settleStart := time.Now()
	settled := l.WaitSettled(context.Background(), RestartQuiet, 3*time.Minute)
	t.Logf("every report came: %v, after %v", settled, time.Since(settleStart).Round(time.Millisecond))
	idleG, _ := goroutines(ops)
	stopListen()
	wg.Wait()
	if err := r.Stop(10 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	var b strings.Builder
	var first, last []sample
	for _, s := range samples {
		fmt.Fprintf(&b, " %s:%.0f/%.0fMiB/%dg", s.at.Round(time.Second), s.rss, s.heap, s.goroutines)
		if s.at >= warm {
			first = append(first, s)
		}
	}
	n := len(first) / 3
	last, first = first[len(first)-n:], first[:n]
	mean := func(ss []sample) (rss, g float64) {
		for _, s := range ss {
			rss += s.rss
			g += float64(s.goroutines)
		}
		return rss / float64(len(ss)), g / float64(len(ss))
	}
	v, err := Check(s.DataDir, s.Customers, l, carriers)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("soak %v at %.0f/s, fault every %v; samples (time:rss/heap/goroutines):%s", dur, rate, every, b.String())
	t.Logf("%v; goroutines when idle after the run %d", v, idleG)
	if n == 0 {
		t.Fatal("too few samples after warm-up")
	}
	r1, g1 := mean(first)
	r2, g2 := mean(last)
	drift := (r2 - r1) / r1
	t.Logf("RSS %.0f → %.0f MiB (drift %+.1f%%), goroutines %.0f → %.0f", r1, r2, drift*100, g1, g2)
	// Pebble's block cache and memtables fill for the first minute or two
	// (at 1,000/s RSS climbs to a plateau near 180 MiB by about 75 s), so
	// drift is judged only on runs long enough to have a plateau; shorter
	// ones are held to a ceiling.
	switch {
	case dur >= 5*time.Minute && drift > 0.10:
		t.Errorf("RSS drift %+.1f%% > 10%%", drift*100)
	case dur < 5*time.Minute && r2 > 512:
		t.Errorf("RSS %.0f MiB > 512 MiB in a short soak", r2)
	}
	if g2 > g1*1.2+20 {
		t.Errorf("goroutines grew from %.0f to %.0f", g1, g2)
	}
	if v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 || v.ConflictingReports != 0 {
		t.Errorf("%v examples %v", v, v.Examples)
		t.Logf("relayd's warnings and errors:\n%s", trouble(r.Logs(), 100))
	}
}

// goroutines reads go_goroutines and the Go heap in use (MiB) from the
// relay's /metrics.
func goroutines(ops string) (int, float64) {
	resp, err := http.Get("http://" + ops + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var g int
	var heap float64
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			g, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			heap = f / (1 << 20)
		}
	}
	return g, heap
}
