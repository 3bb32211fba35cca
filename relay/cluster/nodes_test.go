package cluster_test

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestClusterNodes runs the scenarios of a cluster's nodes on one world:
// ids unique across nodes, client_ref idempotent across nodes, an upstream
// client of every node while one stops, and a node stopped with messages
// accepted and not sent.
func TestClusterNodes(t *testing.T) {
	// Node 2 reaches the carrier through a proxy that can cut it off; every
	// node's upstream listener keeps its port across a restart, as a
	// client of the cluster expects.
	var cut *cutter
	w := newWorld(t, smpptest.Config{ReceiptDelay: time.Second, RedeliverDelay: 300 * time.Millisecond, RedeliverMaxDelay: 3 * time.Second, MaxRedeliveries: 10_000,
		Behavior: smpptest.Behavior{ReceiptsElsewhere: true}}, func(i int, cfg *relay.Config) {
		cfg.Upstream.Listen = loopback.TestAddr(t)
		// A customer of its own for the cluster's client: a node hands a
		// customer's reports to any of its connections.
		multi := cfg.Customers[0]
		multi.ID, multi.Name, multi.Senders = "multi", "Multi", []string{"0298765432"}
		cfg.Customers = append(cfg.Customers, multi)
		if i == 1 {
			cut = newCutter(t, cfg.Carriers[0].Addr)
			cfg.Carriers[0].Addr = cut.addr()
		}
	})
	w.waitFor("every node bound", 30*time.Second, func() bool { return w.smsc.Stats().Open == 3 })
	// One after the other on one world (forming a cluster is the slow
	// part); not subtests, whose ends would stop the nodes they restart.
	t.Log("ids and client refs")
	idsAndRefs(w)
	t.Log("one client of every node")
	clientOfEveryNode(w)
	t.Log("a node returns")
	nodeReturns(w, cut)
}

// idsAndRefs: three nodes accept messages; no id is made twice, each
// names its node, and each is found on the node that made it. The same
// client_refs sent again, each on another node, answer the first ids and
// store nothing; one new client_ref sent to all three nodes at once is
// accepted once.
func idsAndRefs(w *world) {
	t := w.t
	msgs, rep := w.send(150)
	seen := map[string]int{}
	for _, m := range msgs {
		if j, ok := seen[m.id]; ok {
			t.Fatalf("id %s made by nodes %d and %d", m.id, j+1, m.node+1)
		}
		seen[m.id] = m.node
		id, err := message.ParseID(m.id)
		if err != nil {
			t.Fatal(err)
		}
		if int(id.Node()) != m.node+1 {
			t.Errorf("id %s of node %d names node %d", m.id, m.node+1, id.Node())
		}
		for i, d := range w.nodes {
			_, err := d.Store().Get(id)
			if (err == nil) != (i == m.node) {
				t.Errorf("id %s of node %d: lookup on node %d: %v", m.id, m.node+1, i+1, err)
			}
		}
	}
	w.waitFor("every final report", 2*time.Minute, func() bool { return rep.count() >= len(msgs) })
	accepted := w.accepted()

	// Every reference again, on the next node: k went to node k%3.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conns := w.dialAll(ctx, nil)
	byRef := map[string]string{}
	for _, m := range msgs {
		byRef[m.ref] = m.id
	}
	for k := range 150 {
		ref := "ref-" + strconv.Itoa(k)
		resp := submitUntilAnswered(ctx, t, conns[(k+1)%3], smsRef(ref))
		if resp == nil {
			t.FailNow()
		}
		if resp.MessageId != byRef[ref] || !resp.Duplicate {
			t.Errorf("%s again on node %d: %s duplicate %v, want %s", ref, (k+1)%3+1, resp.MessageId, resp.Duplicate, byRef[ref])
		}
	}
	if got := w.accepted(); got != accepted {
		t.Errorf("resubmissions on other nodes accepted %d messages", got-accepted)
	}

	// One new reference on every node at once: one message.
	for round := range 5 {
		ref := "race-" + strconv.Itoa(round)
		ids := make([]string, 3)
		var wg sync.WaitGroup
		for i := range conns {
			wg.Go(func() {
				if resp := submitUntilAnswered(ctx, t, conns[i], smsRef(ref)); resp != nil {
					ids[i] = resp.MessageId
				}
			})
		}
		wg.Wait()
		if ids[0] != ids[1] || ids[1] != ids[2] {
			t.Errorf("%s on three nodes at once: ids %v", ref, ids)
		}
	}
	if got := w.accepted(); got != accepted+5 {
		t.Errorf("five references raced on three nodes: %d messages accepted, want 5", got-accepted)
	}
}

// submitUntilAnswered sends s until it is accepted or answered as a
// duplicate (see untilAnswered).
func submitUntilAnswered(ctx context.Context, t *testing.T, c *client.Client, s *upstreampb.Submit) *upstreampb.SubmitResp {
	return untilAnswered(t, s.ClientRef, func() (*upstreampb.SubmitResp, error) { return c.Submit(ctx, s) })
}

// untilAnswered calls send until it is answered OK (new or duplicate),
// calling it again after STORE_UNAVAILABLE, the "retry later" of submits
// and payment events (a client_ref another node is storing now, a node
// that has not set up the client_ref bucket yet, no quorum). It reports an
// error naming what and returns nil for any other answer; it may run on a
// goroutine of its own.
func untilAnswered[R interface{ GetStatus() upstreampb.Status }](t *testing.T, what string, send func() (R, error)) R {
	for {
		resp, err := send()
		if err != nil {
			t.Errorf("%s: %v", what, err)
			var none R
			return none
		}
		switch resp.GetStatus() {
		case upstreampb.Status_OK:
			return resp
		case upstreampb.Status_STORE_UNAVAILABLE:
			time.Sleep(50 * time.Millisecond) // a pause between tries, not synchronisation
		default:
			t.Errorf("%s: %v", what, resp)
			var none R
			return none
		}
	}
}

// smsRef is an SMS of the customer shop under ref.
func smsRef(ref string) *upstreampb.Submit {
	return &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Text: "again " + ref,
		ClientRef: ref, Sender: "0212345678", Recipient: "01012345678"}
}

// dialAll opens one upstream connection to each node.
func (w *world) dialAll(ctx context.Context, onReport func(*upstreampb.Report)) []*client.Client {
	w.t.Helper()
	var conns []*client.Client
	for _, d := range w.nodes {
		c, err := client.Dial(ctx, d.UpstreamAddr(), client.Options{Customer: "shop", Secret: secret, ClientName: "cluster-test", OnReport: onReport})
		if err != nil {
			w.t.Fatal(err)
		}
		w.t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	return conns
}

// accepted counts the messages the running nodes accepted since they
// started, from their metrics.
func (w *world) accepted() int {
	n := 0
	for _, d := range w.nodes {
		if d == nil {
			continue
		}
		body, err := httpGet("http://" + d.OpsAddr() + "/metrics")
		if err != nil {
			w.t.Fatal(err)
		}
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "relay_accepted_total{") {
				f := strings.Fields(l)
				v, _ := strconv.Atoi(f[len(f)-1])
				n += v
			}
		}
	}
	return n
}

// clientOfEveryNode: one Multi client of the three nodes sends with
// client_refs, sending again whatever was not answered; node 3 stops in
// the middle and comes back. Every reference ends with one message, every
// message with one delivered report, from the node that accepted it, and
// the nodes bill exactly one SMS per reference.
func clientOfEveryNode(w *world) {
	t := w.t
	n := 300
	if os.Getenv("RELAY_CLUSTER_FULL") != "" {
		n = 3000
	}
	month := time.Now().In(seoul).Format("2006-01")
	billedBefore := w.billed("multi", month)
	var addrs []string
	for _, d := range w.nodes {
		addrs = append(addrs, d.UpstreamAddr())
	}
	var mu sync.Mutex
	reports := map[string]upstreampb.FinalState{}
	twice := 0
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m, err := client.DialMulti(ctx, strings.Join(addrs, ","), client.Options{Customer: "multi", Secret: secret, ClientName: "cluster-multi",
		OnReport: func(r *upstreampb.Report) {
			mu.Lock()
			if _, ok := reports[r.MessageId]; ok { // at least once: a report may come again after a restart
				twice++
			}
			reports[r.MessageId] = r.State
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ids := make([]string, n)
	var answered atomic.Int64
	var wg sync.WaitGroup
	const workers = 6
	for wk := range workers {
		wg.Go(func() {
			for k := wk; k < n; k += workers {
				ref := "multi-" + strconv.Itoa(k)
				for {
					if ctx.Err() != nil {
						t.Errorf("%s: no answer", ref)
						return
					}
					resp, err := m.Submit(ctx, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Text: ref,
						ClientRef: ref, Sender: "0298765432", Recipient: "01012345678"})
					if err == nil && resp.Status == upstreampb.Status_OK {
						ids[k] = resp.MessageId
						answered.Add(1)
						break
					}
					if err == nil && resp.Status != upstreampb.Status_STORE_UNAVAILABLE && resp.Status != upstreampb.Status_SHUTTING_DOWN {
						t.Errorf("%s: %v", ref, resp)
						return
					}
					time.Sleep(20 * time.Millisecond) // a pause between tries
				}
			}
		})
	}
	w.waitFor("a third answered", 2*time.Minute, func() bool { return answered.Load() >= int64(n/3) })
	w.stop(2)
	w.waitFor("two thirds answered", 2*time.Minute, func() bool { return answered.Load() >= int64(2*n/3) })
	w.start(2)
	wg.Wait()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		mu.Lock()
		missing := map[string]int{}
		for _, id := range ids {
			if st := reports[id]; st != upstreampb.FinalState_DELIVERED {
				p, _ := message.ParseID(id)
				missing[strconv.Itoa(int(p.Node()))+"/"+st.String()]++
			}
		}
		mu.Unlock()
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for i, d := range w.nodes {
				t.Logf("node %d: %+v", i+1, d.Cluster().Status())
			}
			t.Fatalf("reports missing, by node/state: %v; %d live connections", missing, m.Live())
		}
		time.Sleep(50 * time.Millisecond)
	}
	byNode := map[uint8]int{}
	seen := map[string]bool{}
	for k, id := range ids {
		if seen[id] {
			t.Errorf("multi-%d: id %s answered for two references", k, id)
		}
		seen[id] = true
		p, _ := message.ParseID(id)
		byNode[p.Node()]++
	}
	if got := w.billed("multi", month) - billedBefore; got != uint64(n) {
		t.Errorf("the nodes billed %d SMS for %d references", got, n)
	}
	t.Logf("%d references over three nodes, node 3 stopped and back: ids by node %v, reports twice %d", n, byNode, twice)
}

// billed sums the SMS the nodes billed a customer in month.
func (w *world) billed(customer, month string) uint64 {
	var n uint64
	for _, d := range w.nodes {
		c, err := d.Store().MonthCounts(customer, month)
		if err != nil {
			w.t.Fatal(err)
		}
		n += c[message.ProductSMS]
	}
	return n
}

// nodeReturns: node 2 sends some messages and loses its carrier before
// their receipts come; it accepts more it cannot send, and stops. The
// receipts land on the other nodes and wait in the stream. Node 2 starts
// again on the same data directory: it sends what it had not sent, and
// applies the receipts that waited for it.
func nodeReturns(w *world, cut *cutter) {
	forwarded := w.nodes[0].Cluster().Status().Forwarded + w.nodes[2].Cluster().Status().Forwarded

	sent := w.sendOn(1, 20, "sent-") // answered by the carrier; receipts a second later
	cut.cut()
	w.waitFor("node 2 without its carrier", 30*time.Second, func() bool {
		return !w.nodes[1].Status(context.Background(), false).Dispatch.Carriers[0].Live
	})
	unsent := w.acceptOn(1, 20, "unsent-")
	w.stop(1)
	w.waitFor("the sent messages' receipts in the stream", time.Minute, func() bool {
		return w.nodes[0].Cluster().Status().Forwarded+w.nodes[2].Cluster().Status().Forwarded >= forwarded+20
	})
	cut.heal()
	w.start(1)
	w.waitDelivered(1, sent)
	w.waitDelivered(1, unsent)
}

// acceptOn submits n SMS through node i and returns their ids, without
// waiting for them to be sent.
func (w *world) acceptOn(i, n int, ref string) []message.ID {
	w.t.Helper()
	ids := w.submitOn(i, n, ref)
	for _, id := range ids {
		if m, err := w.nodes[i].Store().Get(id); err != nil || m.State.Final() || !m.SentAt.IsZero() {
			w.t.Fatalf("message %v: sent or final before the node stopped: %+v %v", id, m, err)
		}
	}
	return ids
}

// submitOn submits n SMS through node i, under the client_refs ref0 to
// ref<n-1>, and returns their ids once each is accepted.
func (w *world) submitOn(i, n int, ref string) []message.ID {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, w.nodes[i].UpstreamAddr(), client.Options{Customer: "shop", Secret: secret, ClientName: "cluster-test"})
	if err != nil {
		w.t.Fatal(err)
	}
	defer c.Close()
	var ids []message.ID
	for k := range n {
		resp := submitUntilAnswered(ctx, w.t, c, smsRef(ref+strconv.Itoa(k)))
		if resp == nil {
			w.t.FailNow()
		}
		id, err := message.ParseID(resp.MessageId)
		if err != nil {
			w.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// cutter is a TCP proxy to the SMSC that can cut a node off its carrier:
// cut closes its connections and refuses new ones until heal.
type cutter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cutOff bool
	open   []net.Conn
	wg     sync.WaitGroup
}

func newCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target}
	c.wg.Go(c.serve)
	t.Cleanup(func() { ln.Close(); c.cut(); c.wg.Wait() })
	return c
}

func (c *cutter) addr() string { return c.ln.Addr().String() }

func (c *cutter) serve() {
	for {
		nc, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.cutOff {
			c.mu.Unlock()
			nc.Close()
			continue
		}
		up, err := net.Dial("tcp", c.target)
		if err != nil {
			c.mu.Unlock()
			nc.Close()
			continue
		}
		c.open = append(c.open, nc, up)
		c.mu.Unlock()
		c.wg.Go(func() { _, _ = io.Copy(up, nc); up.Close() })
		c.wg.Go(func() { _, _ = io.Copy(nc, up); nc.Close() })
	}
}

func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cutOff = true
	for _, nc := range c.open {
		nc.Close()
	}
	c.open = nil
}

func (c *cutter) heal() {
	c.mu.Lock()
	c.cutOff = false
	c.mu.Unlock()
}
