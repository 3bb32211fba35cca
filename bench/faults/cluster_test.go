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
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/bench"
	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/loopback"
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
	listens []string       // each node's upstream address, the same across its restarts
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
	k := &clusterRig{t: t, bin: bin, admins: make([]atomic.Value, 3), token: tokenfmt.New()}
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
		// Receipts refused while the stream elects a leader come again,
		// each less often the more it is refused, within 5 s.
		RedeliverDelay: 300 * time.Millisecond, RedeliverMaxDelay: 5 * time.Second, MaxRedeliveries: 100_000,
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
		addr, err := loopback.Addr()
		if err != nil {
			t.Fatal(err)
		}
		k.listens = append(k.listens, addr)
		// Each node binds with its own system_type, so that the SMSC on
		// loopback tells them apart and sends every receipt to another's.
		s := &Setup{Customers: []string{"shop"}, Carriers: []*Carrier{k.carrier}, Binds: binds, Window: window, MaxBinds: quota,
			SystemType: fmt.Sprintf("n%d", i+1), UpstreamListen: addr,
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
		var st settle.Statement
		if err := k.get(ctx, i, "/api/v1/customers/shop/statements/"+month, &st); err != nil {
			return 0, err
		}
		total += int64(st.Messages)
	}
	return total, nil
}

// ready waits until every node says, on its admin API's status, that it
// reads the receipt stream and the shared state and sees all three nodes
// live: before that a submit with a client_ref may be answered
// STORE_UNAVAILABLE, which relaybench counts as refused.
func (k *clusterRig) ready(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for i := range k.admins {
		for {
			var st struct{ Cluster *cluster.Status }
			err := k.get(ctx, i, "/api/v1/status", &st)
			if err == nil && st.Cluster != nil && st.Cluster.StreamReady && st.Cluster.StateLoaded && len(st.Cluster.LiveNodes) == len(k.admins) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("node %d not ready in %v: %+v (%v)", i+1, d, st.Cluster, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// get reads path of node i's admin API as JSON into v.
func (k *clusterRig) get(ctx context.Context, i int, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.admins[i].Load().(string)+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("node %d, %s: %s", i+1, path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
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
// bind's system_type). The load is relaybench's, bench.Run with the three
// nodes' addresses (relaybench -addr a,b,c): each connection holds one to
// every node and sends each submit to a live one. Under load one relay is
// killed with SIGKILL and restarted on its address, then one NATS server.
// The oracle (clusterFacts): nothing lost, nothing billed twice, every
// receipt correlated (no message closed by the expiry, none dropped or
// held by the SMSC), receipts counted on another node's bind by the SMSC,
// the statement asked of each node's admin API equal to the messages
// delivered, and the SMSC never saw more binds at once than the quota.
func TestClusterFaults(t *testing.T) {
	const binds, window, quota = 2, 32, 4
	total := Pick(3_000, 100_000)
	rate := Pick(200.0, 1_000.0) // over the three nodes
	k := newClusterRig(t, binds, window, quota)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(float64(total)/rate*float64(time.Second))*3+5*time.Minute)
	defer cancel()

	if err := k.ready(ctx, time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, k.trouble(20))
	}
	led := newBenchLedger()
	var sent, accepted atomic.Int64
	c := bench.DefaultConfig()
	c.Addr, c.Customer, c.Secret = strings.Join(k.listens, ","), "shop", Secret
	c.Conns, c.Window, c.Messages, c.Rate = 3, 16, total, rate
	// Receipts the killed node had read from the stream and not yet
	// acknowledged come to it again only after the consumer's ack wait
	// (30 s): the drain waits for every report, not a quiet spell.
	c.Drain = 3 * time.Minute
	c.Answered, c.Reported = led.answered, led.reported
	c.Progress, c.ProgressEvery = func(p bench.Progress) {
		sent.Store(p.Sent)
		accepted.Store(p.Accepted)
	}, 50*time.Millisecond
	var res bench.Result
	var runErr error
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		res, runErr = bench.Run(ctx, c)
	}()
	waitSent := func(n int64) {
		for sent.Load() < n {
			select {
			case <-ctx.Done():
				t.Fatalf("%d of %d sent: %v\n%s", sent.Load(), n, ctx.Err(), k.trouble(20))
			case <-ran:
				t.Fatalf("the load ended at %d sent, before %d: %v %+v\n%s", sent.Load(), n, runErr, res, k.trouble(20))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}

	waitSent(int64(total / 3))
	k.relays[1].Kill()
	t.Logf("node 2 killed at %d sent, %d accepted, %.1fs", sent.Load(), accepted.Load(), time.Since(led.start).Seconds())
	k.start(1)
	waitSent(int64(2 * total / 3))
	k.nats[2].Kill()
	t.Logf("NATS server 3 killed at %d sent, %d accepted, %.1fs", sent.Load(), accepted.Load(), time.Since(led.start).Seconds())
	if err := k.nats[2].Start(); err != nil {
		t.Fatal(err)
	}

	<-ran
	if runErr != nil {
		t.Fatal(runErr)
	}
	t.Logf("load: sent=%d accepted=%d refused=%d errors=%d delivered=%d failed=%d lost=%d duplicate_reports=%d double_billed=%d accepted/s=%.0f",
		res.Sent, res.Accepted, res.Refused, res.Errors, res.Delivered, res.Failed, res.Lost, res.DuplicateReports, res.DoubleBilled, res.AcceptedPerS)
	t.Logf("refusals: %s", led.refusals())
	f := clusterFacts{Messages: total, Refused: led.refusedBy(), ReportedTwice: res.DoubleBilled, Quota: quota, HandsetBound: binds * window}
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

	for i := range k.relays {
		v, err := checkLedgers(k.setups[i].DataDir, k.setups[i].Customers, nil, led.node(uint8(i+1)))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("node %d: %v billed=%d", i+1, v, v.Billed)
		f.Stores.add(v)
	}
	f.Stores.HandsetDuplicates, f.Stores.HandsetMax = recipientCopies([]*Carrier{k.carrier})
	st := f.SMSC
	t.Logf("messages=%d %v statements=%v (stores %d) most_binds=%d (quota %d) "+
		"smsc: binds=%d refused=%d receipts=%d (first sent on another node's bind %d, on their own node's %d) redelivered=%d nacked=%d",
		total, f.Stores, f.Statements, f.Stores.Billed, f.MostBinds, quota,
		st.Binds, st.BindsRefused, st.Receipts, st.ReceiptsOtherESME, st.ReceiptsOwnESME, st.Redelivered, st.DeliverNacks)
	for _, msg := range f.failures() {
		t.Error(msg)
	}
	if t.Failed() {
		t.Log(k.trouble(100))
	}
}
