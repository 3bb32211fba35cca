package faults

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// clusterRig is three relayd nodes on a three-server NATS cluster whose
// servers are processes of their own, bound to one carrier account.
type clusterRig struct {
	t       *testing.T
	bin     string
	nats    []*NATSd
	carrier *Carrier
	setups  []*Setup
	cfgs    []string
	relays  []*Relayd
	runs    [][]*Relayd
	addrs   []atomic.Value // string
}

func newClusterRig(t *testing.T, binds, window, quota int) *clusterRig {
	t.Helper()
	SkipShort(t)
	bin, err := BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	k := &clusterRig{t: t, bin: bin, addrs: make([]atomic.Value, 3)}
	if k.nats, err = NewNATSCluster(t.TempDir(), 3); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range k.nats {
			s.Kill()
		}
	})
	k.carrier, err = NewCarrier("shared", smpptest.Config{
		Users: map[string]string{"relay": CarrierPassword}, ReceiptDelay: 200 * time.Millisecond,
		Seed: 1, MaxRecorded: 1 << 21, MaxPending: 1 << 21, FailRatio: 0.02,
		// Receipts refused while the stream elects a leader come again.
		RedeliverDelay: 300 * time.Millisecond, MaxRedeliveries: 100_000,
		Behavior: smpptest.Behavior{ReceiptsElsewhere: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.carrier.Close)
	var urls []string
	for _, s := range k.nats {
		urls = append(urls, fmt.Sprintf("%q", s.URL()))
	}
	for i := range 3 {
		s := &Setup{Customers: []string{"shop"}, Carriers: []*Carrier{k.carrier}, Binds: binds, Window: window, MaxBinds: quota,
			Extra: fmt.Sprintf("[cluster]\nnode = \"n%d\"\nnode_number = %d\nurls = [%s]\nreplicas = 3\nbind_lease_ttl = \"6s\"\n",
				i+1, i+1, strings.Join(urls, ", "))}
		k.setups = append(k.setups, s)
		k.cfgs = append(k.cfgs, writeSetup(t, s))
	}
	k.relays = make([]*Relayd, 3)
	k.runs = make([][]*Relayd, 3)
	for i := range 3 {
		k.start(i)
	}
	t.Cleanup(func() {
		for _, r := range k.relays {
			if r != nil {
				r.Kill()
			}
		}
	})
	return k
}

func (k *clusterRig) start(i int) {
	k.t.Helper()
	r, err := StartRelayd(k.bin, k.cfgs[i], nil)
	if err != nil {
		k.t.Fatal(err)
	}
	k.relays[i] = r
	k.runs[i] = append(k.runs[i], r)
	k.addrs[i].Store(r.Addr)
}

// trouble is the warnings and errors of every run of every node.
func (k *clusterRig) trouble(n int) string {
	var b strings.Builder
	for i, runs := range k.runs {
		for j, r := range runs {
			fmt.Fprintf(&b, "--- node %d run %d\n", i+1, j+1)
			b.WriteString(trouble(r.Logs(), n))
		}
	}
	return b.String()
}

// TestClusterFaults is the cluster's scenario: three relays on a
// three-server NATS cluster, one carrier account allowing four binds to
// the nodes' six, every receipt sent on another bind than its submit's.
// Under load one relay is killed with SIGKILL and restarted, then one
// NATS server. The oracle, over the three nodes' stores: nothing lost,
// nothing billed twice, every message's receipt correlated (none closed by
// the expiry), the statements (the nodes' billing counters, summed) equal
// to the messages delivered, and the SMSC never saw more binds at once
// than the quota.
func TestClusterFaults(t *testing.T) {
	const binds, window, quota = 2, 32, 4
	total := Pick(3_000, 100_000)
	rate := Pick(200.0, 1_000.0) // over the three nodes
	k := newClusterRig(t, binds, window, quota)
	stamp := time.Now().Format("150405")
	var loaders []*Loader
	for i := range 3 {
		loaders = append(loaders, &Loader{Addr: func() string { return k.addrs[i].Load().(string) }, Customer: "shop",
			Prefix: fmt.Sprintf("cl%d-%s", i+1, stamp), Conns: 2, Window: 16, Messages: total / 3, Rate: rate / 3})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(float64(total)/rate*float64(time.Second))*3+3*time.Minute)
	defer cancel()
	lctx, stopListen := context.WithCancel(ctx)
	var wg sync.WaitGroup
	loaded := make(chan struct{})
	var running sync.WaitGroup
	for _, l := range loaders {
		running.Add(1)
		wg.Go(func() { defer running.Done(); l.Run(ctx) })
		wg.Go(func() { l.Listen(lctx) })
	}
	go func() { running.Wait(); close(loaded) }()
	accepted := func() int {
		n := 0
		for _, l := range loaders {
			n += int(l.Accepted())
		}
		return n
	}
	waitAccepted := func(n int) {
		for accepted() < n {
			select {
			case <-ctx.Done():
				t.Fatalf("%d of %d accepted: %v\n%s", accepted(), n, ctx.Err(), k.trouble(20))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}

	waitAccepted(total / 3)
	k.relays[1].Kill()
	t.Logf("node 2 killed at %d accepted", accepted())
	k.start(1)
	waitAccepted(2 * total / 3)
	k.nats[2].Kill()
	t.Logf("NATS server 3 killed at %d accepted", accepted())
	if err := k.nats[2].Start(); err != nil {
		t.Fatal(err)
	}

	<-loaded
	// Every report, not a quiet spell: receipts the killed node had read
	// from the stream and not yet acknowledged come to it again only
	// after the consumer's ack wait (30 s).
	all := true
	for _, l := range loaders {
		all = l.WaitFinals(ctx, 2*time.Minute) && all
	}
	stopListen()
	cancel()
	wg.Wait()
	for i, r := range k.relays {
		if err := r.Stop(20 * time.Second); err != nil {
			t.Errorf("node %d did not stop cleanly: %v", i+1, err)
		}
		k.relays[i] = nil
	}

	var sum Verdict
	for i, l := range loaders {
		v, err := Check(k.setups[i].DataDir, k.setups[i].Customers, l, []*Carrier{k.carrier})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("node %d: %v billed=%d", i+1, v, v.Billed)
		sum.Accepted += v.Accepted
		sum.Delivered += v.Delivered
		sum.Failed += v.Failed
		sum.ExpiredByWindow += v.ExpiredByWindow
		sum.Lost += v.Lost
		sum.DoubleBilled += v.DoubleBilled
		sum.BillingMismatch += v.BillingMismatch
		sum.UnackedDelivered += v.UnackedDelivered
		sum.ConflictingReports += v.ConflictingReports
		sum.MissingReports += v.MissingReports
		sum.HandsetDuplicates += v.HandsetDuplicates
		sum.Billed += v.Billed
		sum.Examples = append(sum.Examples, v.Examples...)
	}
	_, most := k.carrier.Server().OpenSockets("relay")
	st := k.carrier.Stats()
	t.Logf("messages=%d all_reported=%v %v statements=%d most_binds=%d (quota %d) smsc: binds=%d refused=%d receipts=%d redelivered=%d",
		total, all, sum, sum.Billed, most, quota, st.Binds, st.BindsRefused, st.Receipts, st.Redelivered)
	if sum.Accepted < total*9/10 {
		t.Errorf("only %d of %d messages accepted", sum.Accepted, total)
	}
	if sum.Lost != 0 || sum.DoubleBilled != 0 || sum.BillingMismatch != 0 || sum.ConflictingReports != 0 {
		t.Errorf("lost=%d double_billed=%d billing_mismatch=%d conflicting=%d; examples %v",
			sum.Lost, sum.DoubleBilled, sum.BillingMismatch, sum.ConflictingReports, sum.Examples)
	}
	if sum.ExpiredByWindow != 0 {
		t.Errorf("%d messages never got their receipt (closed by the expiry)", sum.ExpiredByWindow)
	}
	if sum.MissingReports != 0 {
		t.Errorf("%d final messages never reported upstream", sum.MissingReports)
	}
	if sum.Billed != int64(sum.Delivered)+sum.UnackedDelivered {
		t.Errorf("statements total %d, delivered %d (+%d never acknowledged)", sum.Billed, sum.Delivered, sum.UnackedDelivered)
	}
	if most > quota {
		t.Errorf("the SMSC saw %d binds of the account at once, over its quota of %d", most, quota)
	}
	// In flight at the relay's crash: its binds' windows.
	if bound := binds * window; sum.HandsetDuplicates > bound {
		t.Errorf("handset duplicates %d > %d (binds × window of the killed node)", sum.HandsetDuplicates, bound)
	}
	if t.Failed() {
		t.Log(k.trouble(40))
	}
}
