package cluster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/smpp/smpptest"
)

const secret = "s3cret-for-tests"

// world is three relays, each embedding one server of a 3-server NATS
// cluster, bound with one bind each to one carrier account of one
// simulated SMSC.
type world struct {
	t     *testing.T
	smsc  *smpptest.Server
	hold  *gate // the SMSC's clock (TestCluster only)
	cfgs  []*relay.Config
	nodes []*relay.Daemon
}

// tune, if given, changes each node's configuration before it starts.
// startWorld starts three relays of a new cluster, each embedding one of
// its NATS servers, on one SMSC.
func startWorld(t *testing.T, sc smpptest.Config, tune ...func(i int, cfg *relay.Config)) *world {
	t.Helper()
	sc.Users = map[string]string{"relay": "pw"}
	smsc, err := smpptest.NewServer(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smsc.Close)
	hash, err := customer.HashSecret(secret, customer.MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	var hexIDs receipt.IDFormat
	_ = hexIDs.UnmarshalText([]byte("hex"))
	w := &world{t: t, smsc: smsc}
	var routes []string
	for range 3 {
		routes = append(routes, loopback.TestAddr(t))
	}
	for i := range 3 {
		cfg := &relay.Config{
			DataDir:   filepath.Join(t.TempDir(), "data"),
			Upstream:  relay.UpstreamConfig{Listen: "127.0.0.1:0"},
			OpsListen: "127.0.0.1:0",
			Door:      door.DefaultConfig(),
			Customers: []customer.Config{{ID: "shop", Name: "Shop", SecretHash: hash,
				Products: []string{"sms"}, Senders: []string{"0212345678"}, Rate: 100000}},
			// One bind per node: the SMSC's "another bind" is another node's.
			Carriers: []dispatch.CarrierConfig{{Name: "shared", Addr: smsc.Addr(), SystemID: "relay", Password: "pw",
				Binds: 1, Window: 32, RespIDs: hexIDs, ReceiptIDs: hexIDs}},
			Routes:   []route.Config{{Carriers: []route.Weighted{{Name: "shared", Weight: 1}}}},
			Dispatch: dispatch.Config{RetryMin: time.Millisecond, RetryMax: 50 * time.Millisecond},
		}
		cfg.Cluster.Node = fmt.Sprintf("n%d", i+1)
		cfg.Cluster.NodeNumber = i + 1
		cfg.Cluster.Embed.Listen = "127.0.0.1:0"
		cfg.Cluster.Embed.ClusterListen = routes[i]
		cfg.Cluster.Embed.Routes = routes
		for _, f := range tune {
			f(i, cfg)
		}
		cfg.SetDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		w.cfgs = append(w.cfgs, cfg)
	}
	w.nodes = make([]*relay.Daemon, 3)
	// Together, as a new cluster starts: each node waits for the others'
	// NATS servers before it listens.
	errs := make([]error, len(w.nodes))
	var starts sync.WaitGroup
	for i := range w.nodes {
		starts.Go(func() { errs[i] = w.launch(i) })
	}
	starts.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.stop(i) })
	}
	return w
}

// newWorld is a started world whose nodes all read the receipt stream.
func newWorld(t *testing.T, sc smpptest.Config, tune ...func(i int, cfg *relay.Config)) *world {
	t.Helper()
	w := startWorld(t, sc, tune...)
	w.waitFor("the receipt stream on every node", 90*time.Second, func() bool {
		for _, d := range w.nodes {
			if !d.Cluster().Ready() {
				return false
			}
		}
		return true
	})
	return w
}

func (w *world) start(i int) {
	w.t.Helper()
	if err := w.launch(i); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { w.stop(i) })
}

// launch starts node i; safe beside another node's launch.
func (w *world) launch(i int) error {
	d, err := relay.Start(w.cfgs[i], relay.Options{Logger: w.logger(i)})
	if err != nil {
		return err
	}
	w.nodes[i] = d
	return nil
}

// logger is node i's log: discarded, or on stderr with RELAY_TEST_LOG set.
func (w *world) logger(i int) *slog.Logger {
	if os.Getenv("RELAY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil)).With("node", w.cfgs[i].Cluster.Node)
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (w *world) stop(i int) {
	d := w.nodes[i]
	if d == nil {
		return
	}
	w.nodes[i] = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		w.t.Errorf("shutdown: %v", err)
	}
}

func (w *world) waitFor(what string, d time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sent is a message accepted by one node.
type sent struct {
	node    int
	id, ref string
}

// send submits n SMS spread over the nodes and returns them with the
// final reports each node's upstream connection got.
func (w *world) send(n int) ([]sent, *reports) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep := &reports{states: map[string]upstreampb.FinalState{}}
	var out []sent
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, d := range w.nodes {
		c, err := client.Dial(ctx, d.UpstreamAddr(), client.Options{Customer: "shop", Secret: secret,
			ClientName: "cluster-test", OnReport: func(p *upstreampb.Report) { rep.add(i, p) }})
		if err != nil {
			w.t.Fatal(err)
		}
		w.t.Cleanup(func() { c.Close() })
		wg.Go(func() {
			for k := i; k < n; k += len(w.nodes) {
				ref := "ref-" + strconv.Itoa(k)
				// Sent again while the node answers STORE_UNAVAILABLE: a
				// node that just started has not set up the client_ref
				// bucket yet.
				resp := submitUntilAnswered(ctx, w.t, c, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Text: "cluster " + strconv.Itoa(k),
					ClientRef: ref, Sender: "0212345678", Recipient: "01012345678"})
				if resp == nil {
					return
				}
				mu.Lock()
				out = append(out, sent{node: i, id: resp.MessageId, ref: ref})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out, rep
}

type reports struct {
	mu     sync.Mutex
	states map[string]upstreampb.FinalState
}

func (r *reports) add(node int, p *upstreampb.Report) {
	r.mu.Lock()
	r.states[strconv.Itoa(node)+"/"+p.MessageId] = p.State
	r.mu.Unlock()
}

func (r *reports) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.states)
}

// TestCluster runs the cluster's scenarios on one world (forming a
// cluster is the slow part): receipts on any node, payment events across
// nodes, then a node down, then no quorum.
func TestCluster(t *testing.T) {
	payments, _ := withPayments(t)
	hold := newGate()
	w := newWorld(t, smpptest.Config{ReceiptDelay: 2 * time.Second, RedeliverDelay: 300 * time.Millisecond, RedeliverMaxDelay: 3 * time.Second, MaxRedeliveries: 10_000,
		Behavior: smpptest.Behavior{ReceiptsElsewhere: true}, Clock: hold}, payments)
	w.hold = hold
	w.waitFor("every node bound", 30*time.Second, func() bool { return w.smsc.Stats().Open == 3 })
	t.Run("receipts on any node", func(t *testing.T) { w.t = t; receiptsOnAnyNode(w) })
	t.Run("payment events across nodes", func(t *testing.T) { w.t = t; paymentEventsAcrossNodes(w) })
	t.Run("payment events through a Multi", func(t *testing.T) { w.t = t; paymentEventsThroughMulti(w) })
	t.Run("receipts wait for their node", func(t *testing.T) { w.t = t; receiptsWaitForTheirNode(w) })
}

// receiptsOnAnyNode: every receipt comes on another node's bind than the
// one that sent its message; every message is still delivered, billed
// once, on the node that accepted it.
func receiptsOnAnyNode(w *world) {
	n := 300
	if os.Getenv("RELAY_CLUSTER_FULL") != "" {
		n = 30_000
	}
	start := time.Now()
	msgs, rep := w.send(n)
	w.waitFor("every final report", 5*time.Minute, func() bool {
		if rep.count() >= len(msgs) {
			return true
		}
		if time.Since(start) > 4*time.Minute {
			w.trace(rep)
		}
		return false
	})
	w.t.Logf("%d messages over 3 nodes, every receipt on another node: final in %v", n, time.Since(start).Round(time.Millisecond))
	w.check(msgs, rep)
}

func (w *world) trace(rep *reports) {
	w.t.Logf("reports %d smsc %+v", rep.count(), w.smsc.Stats())
	for i, d := range w.nodes {
		w.t.Logf("node %d: %+v", i+1, d.Cluster().Status())
		var b strings.Builder
		w.metrics(d, &b)
		w.t.Logf("%s", b.String())
	}
	w.t.FailNow()
}

func (w *world) metrics(d *relay.Daemon, b *strings.Builder) {
	resp, err := http.Get("http://" + d.OpsAddr() + "/metrics")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if strings.Contains(l, "receipts") && !strings.HasPrefix(l, "#") {
			b.WriteString(l + "\n")
		}
	}
}

// check: every message delivered, billed once as SMS on the node that
// accepted it, and the statements of the three nodes add up to n.
func (w *world) check(msgs []sent, rep *reports) {
	w.t.Helper()
	rep.mu.Lock()
	for _, m := range msgs {
		if st := rep.states[strconv.Itoa(m.node)+"/"+m.id]; st != upstreampb.FinalState_DELIVERED {
			w.t.Errorf("message %s of node %d: report %v", m.id, m.node+1, st)
		}
	}
	rep.mu.Unlock()
	month := time.Now().In(seoul).Format("2006-01")
	var billed uint64
	forwarded := uint64(0)
	for i, d := range w.nodes {
		counts, err := d.Store().MonthCounts("shop", month)
		if err != nil {
			w.t.Fatal(err)
		}
		billed += counts[message.ProductSMS]
		forwarded += d.Cluster().Status().Forwarded
		w.t.Logf("node %d: billed %d, %+v", i+1, counts[message.ProductSMS], d.Cluster().Status())
	}
	if billed != uint64(len(msgs)) {
		w.t.Errorf("billed %d SMS over the nodes, want %d", billed, len(msgs))
	}
	if forwarded == 0 {
		w.t.Error("no receipt went through the stream: the SMSC sent none elsewhere")
	}
	for _, m := range msgs {
		id, err := message.ParseID(m.id)
		if err != nil {
			w.t.Fatal(err)
		}
		got, err := w.nodes[m.node].Store().Get(id)
		if err != nil || got.State != message.StateDelivered || got.Billed != message.ProductSMS {
			w.t.Errorf("message %s on node %d: %+v %v", m.id, m.node+1, got, err)
		}
	}
}

var seoul = func() *time.Location {
	l, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return time.FixedZone("KST", 9*3600)
	}
	return l
}()

func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
