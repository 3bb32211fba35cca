package faults

import (
	"context"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestRestartToFirstSend queues messages while every carrier is down,
// kills relayd with SIGKILL, brings the carriers back and measures the
// time from restarting relayd to the first submit_sm a carrier sees.
// Pass: at most 5 s, or, on a machine so loaded that accepting the queue
// took longer than that, no longer than accepting it took; then every
// message is delivered once.
//
// The second bound is measured in the same run: the restart reads the
// queue from the same disk and CPU that wrote it, so what slows one slows
// the other (at load 39 one run accepted 558/s instead of 53,900/s, and
// took 9.9 s to listen). On a quiet machine accepting 20,000 takes well
// under a second and the bound is the 5 s; a restart that costs as much
// as writing the queue again fails on any machine.
func TestRestartToFirstSend(t *testing.T) {
	SkipShort(t)
	queued := Pick(20_000, 1_000_000)
	bin, err := BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	var carriers []*Carrier
	for i, name := range []string{"alpha", "beta"} {
		c, err := NewCarrierDown(name, smpptest.Config{Users: map[string]string{"relay": CarrierPassword},
			Seed: uint64(i + 1), MaxRecorded: queued + 1000, MaxPending: 1 << 21})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		carriers = append(carriers, c)
	}
	s := &Setup{Customers: []string{"shop"}, Carriers: carriers, Binds: 2, Window: 64}
	cfg := writeSetup(t, s)
	r, err := StartRelayd(bin, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Kill() }()
	addr := r.Addr
	l := &Loader{Addr: func() string { return addr }, Customer: "shop", Prefix: "queue", Conns: 4, Window: 128, Messages: queued}
	ctx, cancel := context.WithTimeout(context.Background(), Pick(2*time.Minute, 30*time.Minute))
	defer cancel()
	t0 := time.Now()
	l.Run(ctx)
	acceptTook := time.Since(t0)
	if got := l.Accepted(); got != int64(queued) {
		t.Fatalf("accepted %d of %d while carriers were down (refusals %v)", got, queued, l.Refusals())
	}
	rss := RSSMiB(r.PID())
	r.Kill()
	for _, c := range carriers {
		if err := c.Up(); err != nil {
			t.Fatal(err)
		}
	}
	t1 := time.Now()
	r, err = StartRelayd(bin, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	listenTook := time.Since(t1)
	first := time.Duration(0)
	for first == 0 {
		var n int64
		for _, c := range carriers {
			n += c.Stats().Submits
		}
		if n > 0 {
			first = time.Since(t1)
			break
		}
		if time.Since(t1) > 60*time.Second {
			t.Fatalf("no submit 60 s after restart with %d queued", queued)
		}
		time.Sleep(time.Millisecond) // polling an outside process
	}
	addr = r.Addr
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); l.Listen(lctx) }()
	all := l.WaitSettled(ctx, RestartQuiet, Pick(2*time.Minute, 30*time.Minute))
	drainTook := time.Since(t1)
	stop()
	<-done
	if err := r.Stop(30 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	v, err := Check(s.DataDir, s.Customers, l, carriers)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("queued=%d accept=%v (%.0f/s) rss_before_kill=%.0fMiB restart_to_listen=%v restart_to_first_send=%v all_final=%v drain=%v %v",
		queued, acceptTook.Round(time.Millisecond), float64(queued)/acceptTook.Seconds(), rss,
		listenTook.Round(time.Millisecond), first.Round(time.Millisecond), all, drainTook.Round(time.Millisecond), v)
	if limit := max(5*time.Second, acceptTook); first > limit {
		t.Errorf("restart to first send %v > %v (5 s, or the %v accepting the %d took)", first, limit, acceptTook.Round(time.Millisecond), queued)
	}
	if v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 || v.HandsetDuplicates != 0 {
		t.Errorf("%v; examples %v", v, v.Examples)
	}
}
