package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/relay/tokenfmt"
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
	admins  []atomic.Value // string: the admin API's base URL
	token   string         // the operator's admin token
}

func newClusterRig(t *testing.T, binds, window, quota int) *clusterRig {
	t.Helper()
	SkipShort(t)
	bin, err := BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	k := &clusterRig{t: t, bin: bin, addrs: make([]atomic.Value, 3), admins: make([]atomic.Value, 3), token: tokenfmt.New()}
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
		// Each node binds with its own system_type, so that the SMSC on
		// loopback tells them apart and sends every receipt to another's.
		s := &Setup{Customers: []string{"shop"}, Carriers: []*Carrier{k.carrier}, Binds: binds, Window: window, MaxBinds: quota,
			SystemType: fmt.Sprintf("n%d", i+1),
			Extra: fmt.Sprintf("[cluster]\nnode = \"n%d\"\nnode_number = %d\nurls = [%s]\nreplicas = 3\nbind_lease_ttl = \"6s\"\n",
				i+1, i+1, strings.Join(urls, ", ")) +
				"[admin]\nlisten = \"127.0.0.1:0\"\naudit_file = \"" + filepath.Join(t.TempDir(), "audit.jsonl") + "\"\n[[admin.token]]\nname = \"ops\"\nhash = \"" + admin.HashToken(k.token) + "\"\n" +
				"[settle.prices]\nsms = 9.9\nlms = 30\nalimtalk = 7.5\nfriendtalk_text = 13\nfriendtalk_image = 20\npayment_alimtalk = 7.5\n"}
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
	a, err := r.Logged(adminRE, readyWithin)
	if err != nil {
		k.t.Fatalf("node %d: %v", i+1, err)
	}
	k.admins[i].Store("http://" + a)
}

var adminRE = regexp.MustCompile(`admin listening" addr=(\S+)`)

// statement is the total of customer shop's statements of this month and
// the last, as node i's admin API answers them (relayctl statement does
// the same request): in a cluster, every node's billing summed.
func (k *clusterRig) statement(ctx context.Context, i int) (int64, error) {
	var total int64
	for _, month := range months() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.admins[i].Load().(string)+"/api/v1/customers/shop/statements/"+month, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+k.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		var st settle.Statement
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return 0, fmt.Errorf("node %d, statement of %s: %s (%v)", i+1, month, resp.Status, err)
		}
		total += int64(st.Messages)
	}
	return total, nil
}

// billingEvery is how often a node writes its billing counters to the
// cluster (relay/cluster), which is what another node's statement reads.
const billingEvery = 10 * time.Second

// statements asks every node for the statement until all answer the same
// total and it has held for longer than a node takes to write its
// counters again: with no message left to deliver, each node has by then
// written its last counters. It returns the nodes' last answers, and an
// error when they did not agree within d.
func (k *clusterRig) statements(ctx context.Context, d time.Duration) ([]int64, error) {
	deadline := time.Now().Add(d)
	var since time.Time
	var last []int64
	for {
		got := make([]int64, len(k.admins))
		var err error
		for i := range k.admins {
			if got[i], err = k.statement(ctx, i); err != nil {
				break
			}
		}
		agreed := err == nil && slices.Min(got) == slices.Max(got)
		if !agreed || !slices.Equal(got, last) {
			since = time.Time{}
		}
		if agreed && since.IsZero() {
			since = time.Now()
		}
		if agreed && time.Since(since) > billingEvery+2*time.Second {
			return got, nil
		}
		last = got
		if time.Now().After(deadline) {
			return last, fmt.Errorf("the nodes' statements did not agree within %v: %v (%v)", d, last, err)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(time.Second):
		}
	}
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
// the nodes' six, every receipt sent on another node's bind than its
// submit's (smscsim's -receipts-elsewhere, the nodes told apart by their
// bind's system_type). Under load one relay is killed with SIGKILL and
// restarted, then one NATS server. The oracle (clusterFacts): nothing
// lost, nothing billed twice, every receipt correlated (no message closed
// by the expiry, none dropped or held by the SMSC), receipts counted on
// another node's bind by the SMSC, the statement asked of each node's
// admin API equal to the messages delivered, and the SMSC never saw more
// binds at once than the quota.
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
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(float64(total)/rate*float64(time.Second))*3+5*time.Minute)
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
	wg.Wait()
	f := clusterFacts{Messages: total, Quota: quota, HandsetBound: binds * window}
	// The cluster's statement, from each node, while all run.
	stmts, err := k.statements(ctx, 2*time.Minute)
	if err != nil {
		t.Error(err)
	}
	f.Statements = stmts
	f.SMSC = k.carrier.Stats()
	_, f.MostBinds = k.carrier.Server().OpenSockets("relay")
	cancel()
	for i, r := range k.relays {
		if err := r.Stop(20 * time.Second); err != nil {
			t.Errorf("node %d did not stop cleanly: %v", i+1, err)
		}
		k.relays[i] = nil
	}

	for i, l := range loaders {
		v, err := Check(k.setups[i].DataDir, k.setups[i].Customers, l, []*Carrier{k.carrier})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("node %d: %v billed=%d", i+1, v, v.Billed)
		f.Stores.add(v)
	}
	st := f.SMSC
	t.Logf("messages=%d all_reported=%v %v statements=%v (stores %d) most_binds=%d (quota %d) "+
		"smsc: binds=%d refused=%d receipts=%d (first sent on another node's bind %d, on their own node's %d) redelivered=%d nacked=%d",
		total, all, f.Stores, f.Statements, f.Stores.Billed, f.MostBinds, quota,
		st.Binds, st.BindsRefused, st.Receipts, st.ReceiptsOtherESME, st.ReceiptsOwnESME, st.Redelivered, st.DeliverNacks)
	for _, msg := range f.failures() {
		t.Error(msg)
	}
	if t.Failed() {
		t.Log(k.trouble(40))
	}
}
