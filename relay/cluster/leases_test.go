package cluster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/store"
)

type noReceipts struct{}

func (noReceipts) ApplyReceipt(context.Context, store.Receipt) (store.Outcome, error) {
	return store.OutcomeApplied, nil
}

// openNodes starts n cluster nodes, each embedding one server of an
// n-server NATS cluster, with the given bind lease TTL. Their names are
// not the worlds' (n1…): servers of one name in one process, one cluster
// after the other, left the billing bucket of a later world without a
// restarted node's writes on the other servers (TestShared failed).
func openNodes(t *testing.T, n int, ttl time.Duration) []*cluster.Node {
	t.Helper()
	return openNamed(t, "lease", n, ttl)
}

// openNamed is openNodes with the nodes named prefix1, prefix2….
func openNamed(t *testing.T, prefix string, n int, ttl time.Duration) []*cluster.Node {
	t.Helper()
	var routes []string
	for range n {
		routes = append(routes, loopback.TestAddr(t))
	}
	var nodes []*cluster.Node
	for i := range n {
		cfg := cluster.Config{Node: fmt.Sprintf("%s%d", prefix, i+1), NodeNumber: i + 1, BindLeaseTTL: ttl, Replicas: n}
		cfg.Embed.Listen = "127.0.0.1:0"
		cfg.Embed.ClusterListen = routes[i]
		cfg.Embed.Routes = routes
		cfg.SetDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		node, err := cluster.Open(cfg, cluster.Options{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		node.Start(noReceipts{})
		t.Cleanup(node.Close)
		nodes = append(nodes, node)
	}
	return nodes
}

// A node that stops without giving its bind slots back (a crash) keeps
// them until its lease expires; then another node takes them. The
// stopped node's own hold ends first, before any other can take them.
func TestBindSlotsOfAStoppedNodeComeBack(t *testing.T) {
	const ttl = 3 * time.Second
	nodes := openNodes(t, 3, ttl)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var held []context.Context
	for range 2 {
		h, _, err := nodes[0].AcquireBind(ctx, "acct", 2)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, h)
	}
	waitFor(t, "every node to see the two slots", time.Minute, func() bool {
		for _, n := range nodes {
			if n.BindsHeld("acct") != 2 {
				return false
			}
		}
		return true
	})
	got := make(chan time.Time, 1)
	go func() {
		if _, release, err := nodes[1].AcquireBind(ctx, "acct", 2); err == nil {
			got <- time.Now()
			release()
		}
		close(got)
	}()
	// Every slot is held and renewed: node 2 waits.
	select {
	case <-got:
		t.Fatal("node 2 took a slot node 1 holds")
	case <-time.After(2 * ttl):
	}
	// When each of node 1's holds ended, seen as soon as it ends: node 2
	// taking a slot is seen the same way, so a busy machine delays both.
	ended := make([]chan time.Time, len(held))
	for i, h := range held {
		ended[i] = make(chan time.Time, 1)
		go func() { <-h.Done(); ended[i] <- time.Now() }()
	}
	stopped := time.Now()
	nodes[0].Close() // no release: the slots expire
	var lastEnd time.Time
	for _, e := range ended {
		select {
		case at := <-e:
			if at.After(lastEnd) {
				lastEnd = at
			}
		case <-time.After(30 * time.Second): // only a hold that never ends waits this long
			t.Fatalf("node 1 still counts a slot as held %v after it stopped (TTL %v)", time.Since(stopped), ttl)
		}
	}
	select {
	case at, ok := <-got:
		if !ok {
			t.Fatal("node 2 did not get a slot")
		}
		t.Logf("node 1's holds ended %v after it stopped; node 2 took a slot %v after (TTL %v)",
			lastEnd.Sub(stopped).Round(time.Millisecond), at.Sub(stopped).Round(time.Millisecond), ttl)
		if at.Before(lastEnd) {
			t.Errorf("node 2 took a slot %v before node 1's hold of it ended", lastEnd.Sub(at))
		}
	case <-ctx.Done():
		t.Fatal("node 2 never got the stopped node's slot")
	}
	// The expired slots are seen gone, the one node 2 took and gave back
	// too.
	waitFor(t, "the expired slots seen gone", time.Minute, func() bool {
		return nodes[1].BindsHeld("acct") == 0 && nodes[2].BindsHeld("acct") == 0
	})
}

// A slot given back is taken at once, and no node gets more slots than
// the account allows, however many ask.
func TestBindSlotsNeverOverMax(t *testing.T) {
	nodes := openNodes(t, 3, 3*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const max = 2
	type grant struct {
		node    int
		release func()
	}
	grants := make(chan grant, 6)
	for i, n := range nodes {
		for range 2 {
			go func() {
				if _, release, err := n.AcquireBind(ctx, "acct", max); err == nil {
					grants <- grant{i, release}
				}
			}()
		}
	}
	var got []grant
	for len(got) < max {
		got = append(got, <-grants)
	}
	select {
	case g := <-grants:
		t.Fatalf("node %d got a slot over the max of %d", g.node+1, max)
	case <-time.After(2 * time.Second):
	}
	got[0].release()
	select {
	case <-grants:
	case <-time.After(time.Minute):
		t.Fatal("a released slot was not taken")
	}
	select {
	case g := <-grants:
		t.Fatalf("node %d got a slot over the max of %d", g.node+1, max)
	case <-time.After(2 * time.Second):
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A node that holds no slot gets one even when another node took them
// all: the node holding the most gives one back (its holder unbinds, then
// releases), and takes no other while the first node waits.
func TestBindSlotGivenBackForANodeWithNone(t *testing.T) {
	nodes := openNodes(t, 2, 3*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// A bind: holds its slot until the slot ends, then gives it back and
	// asks again, as a carrier's bind does.
	bind := func(n *cluster.Node, held chan<- int, which int) {
		for ctx.Err() == nil {
			h, release, err := n.AcquireBind(ctx, "acct", 2)
			if err != nil {
				return
			}
			held <- which
			<-h.Done()
			release()
			held <- -which
		}
	}
	events := make(chan int, 100)
	go bind(nodes[0], events, 1)
	go bind(nodes[0], events, 1)
	for range 2 {
		if e := <-events; e != 1 {
			t.Fatalf("event %d before node 1 held both slots", e)
		}
	}
	go bind(nodes[1], events, 2)
	count := map[int]int{1: 2}
	deadline := time.After(time.Minute)
	for count[2] == 0 {
		select {
		case e := <-events:
			if e > 0 {
				count[e]++
			} else {
				count[-e]--
			}
			if count[1]+count[2] > 2 {
				t.Fatalf("slots held %v: over the max of 2", count)
			}
		case <-deadline:
			t.Fatalf("node 2 got no slot; held %v", count)
		}
	}
	if count[1] != 1 {
		t.Fatalf("held %v, want one slot each", count)
	}
}
