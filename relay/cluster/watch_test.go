package cluster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/loopback"
)

// natsCluster is three NATS servers run apart from the nodes, as in
// production: a node outlives the server it is connected to.
type natsCluster struct {
	t    *testing.T
	opts []*server.Options
	srvs []*server.Server
}

func startNATS(t *testing.T, prefix string) *natsCluster {
	t.Helper()
	var routes []*url.URL
	var listens []string
	for range 3 {
		a := loopback.TestAddr(t)
		listens = append(listens, a)
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: a})
	}
	c := &natsCluster{t: t}
	for i := range 3 {
		host, port := splitAddr(t, listens[i])
		o := &server.Options{ServerName: fmt.Sprintf("%s-s%d", prefix, i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: prefix, Host: host, Port: port}, Routes: routes}
		c.opts = append(c.opts, o)
		c.srvs = append(c.srvs, nil)
		c.start(i)
	}
	t.Cleanup(func() {
		for _, s := range c.srvs {
			if s != nil {
				s.Shutdown()
				s.WaitForShutdown()
			}
		}
	})
	return c
}

func splitAddr(t *testing.T, a string) (string, int) {
	u, err := url.Parse("nats://" + a)
	if err != nil {
		t.Fatal(err)
	}
	var port int
	if _, err := fmt.Sscan(u.Port(), &port); err != nil {
		t.Fatal(err)
	}
	return u.Hostname(), port
}

func (c *natsCluster) start(i int) {
	c.t.Helper()
	o := *c.opts[i]
	o.Port = -1 // a new client port: the nodes learn it from the others
	s, err := server.NewServer(&o)
	if err != nil {
		c.t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		c.t.Fatalf("NATS server %d did not start", i+1)
	}
	c.srvs[i] = s
}

func (c *natsCluster) stop(i int) {
	c.srvs[i].Shutdown()
	c.srvs[i].WaitForShutdown()
	c.srvs[i] = nil
}

// caughtUp reports whether every stream has a leader and every replica
// current: one server may then stop without costing a quorum.
func (c *natsCluster) caughtUp(js jetstream.JetStream) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l := js.ListStreams(ctx)
	n := 0
	for info := range l.Info() {
		n++
		cl := info.Cluster
		if cl == nil || cl.Leader == "" || len(cl.Replicas) != 2 {
			return false
		}
		for _, r := range cl.Replicas {
			if !r.Current || r.Offline {
				return false
			}
		}
	}
	return l.Err() == nil && n > 0
}

// watchNode is a node with what it saw of the shared state and of the
// live nodes.
type watchNode struct {
	*cluster.Node
	state   *cluster.State
	members *cluster.Members

	mu      sync.Mutex
	values  map[string]string
	applied map[string][]uint64 // the revisions of each key handed to apply
}

func (n *watchNode) value(key string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.values[key]
}

// TestWatchersOutliveTheirServer: each node in turn loses the NATS
// server it is connected to. The node still sees a change made on
// another node (its state watcher comes back, from where it was, so that
// no change is missed or applied twice), every node keeps counting every
// other live (their heartbeats are written and read), and the bind slots
// stay within the quota and are held again by each node (their leases are
// renewed, or taken again once lost).
func TestWatchersOutliveTheirServer(t *testing.T) {
	const nodeTTL = 6 * time.Second
	nc := startNATS(t, "watch")
	var nodes []*watchNode
	for i := range 3 {
		cfg := cluster.Config{Node: fmt.Sprintf("watch%d", i+1), NodeNumber: i + 1,
			URLs: []string{nc.srvs[i].ClientURL()}, NodeTTL: nodeTTL}
		cfg.SetDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		if os.Getenv("RELAY_TEST_LOG") != "" {
			log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", cfg.Node)
		}
		node, err := cluster.Open(cfg, cluster.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(node.Close)
		w := &watchNode{Node: node, values: map[string]string{}, applied: map[string][]uint64{}}
		node.Start(noReceipts{})
		w.state = node.OpenState(func(changes []cluster.StateChange) {
			w.mu.Lock()
			defer w.mu.Unlock()
			for _, c := range changes {
				w.values[c.Key] = string(c.Value)
				w.applied[c.Key] = append(w.applied[c.Key], c.Revision)
			}
		})
		w.members = node.Heartbeat(func([]string) {})
		nodes = append(nodes, w)
	}
	everyone := []string{"watch1", "watch2", "watch3"}
	waitFor(t, "every node to read the state and see every other live", 2*time.Minute, func() bool {
		for _, n := range nodes {
			if !n.state.Loaded() || !slices.Equal(n.members.Live(), everyone) {
				return false
			}
		}
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Each node holds one of the account's three slots, and asks for one
	// again whenever its hold ends, as a carrier's bind does. A slot may
	// be lost while a node's server is down: the hold ends half a TTL
	// after the first renewal not answered, and on a busy machine the
	// reconnection and a new leader of the bucket's stream may take that
	// long. That is the protocol keeping the quota. What must hold: never
	// more holds not ended than the quota, and every node holding its
	// slot again after a while.
	hs := &holds{t: t, max: 3}
	var lost atomic.Int64
	var binds sync.WaitGroup
	defer binds.Wait()
	defer cancel()
	for j, n := range nodes {
		binds.Go(func() {
			for {
				h, release, err := n.AcquireBind(ctx, "watch-acct", 3)
				if err != nil {
					return
				}
				hs.grant(j, h)
				select {
				case <-h.Done():
				case <-ctx.Done():
				}
				release()
				if ctx.Err() == nil {
					lost.Add(1)
					t.Logf("node %s lost its bind slot; asks again", n.Status().Node)
				}
			}
		})
	}
	waitFor(t, "every node to hold a slot", 2*time.Minute, func() bool {
		return hs.live(0) == 1 && hs.live(1) == 1 && hs.live(2) == 1
	})
	probe, err := nats.Connect(nc.srvs[0].ClientURL()+","+nc.srvs[1].ClientURL()+","+nc.srvs[2].ClientURL(), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	js, err := jetstream.New(probe)
	if err != nil {
		t.Fatal(err)
	}

	for i := range nodes {
		a, b := nodes[i], nodes[(i+1)%3]
		waitFor(t, "every stream's replicas current", 2*time.Minute, func() bool { return nc.caughtUp(js) })
		nc.stop(i)
		stopped := time.Now()
		key, value := fmt.Sprintf("round.%d", i), fmt.Sprintf("from %s", b.Status().Node)
		var kept time.Time
		waitFor(t, "node "+b.Status().Node+" to write the change", time.Minute, func() bool {
			_, err := b.state.Put(ctx, key, []byte(value), false)
			kept = time.Now()
			return err == nil
		})
		// Until the change is seen everywhere, and for twice node_ttl
		// after the stop at least: every node counts every other live,
		// and holds its bind slot.
		seen := map[int]time.Duration{}
		deadline := time.Now().Add(2 * time.Minute)
		waitFor(t, "every node to see the change", 3*time.Minute, func() bool {
			if time.Now().After(deadline) {
				for j, n := range nodes {
					t.Logf("node %d: saw %q after %v; %+v", j+1, n.value(key), seen[j], n.Status())
				}
				t.FailNow()
			}
			for j, n := range nodes {
				if live := n.members.Live(); !slices.Equal(live, everyone) {
					t.Fatalf("%v after the stop of node %s's server: node %s counts %v live",
						time.Since(stopped).Round(time.Millisecond), a.Status().Node, n.Status().Node, live)
				}
				// The writer applied its change as it wrote it.
				if _, ok := seen[j]; !ok && (n == b || n.value(key) == value) {
					seen[j] = time.Since(kept)
				}
			}
			return len(seen) == 3 && time.Since(stopped) > 2*nodeTTL
		})
		t.Logf("server of node %s stopped: the change made on node %s (kept %v after the stop) seen by nodes 1-3 after %v %v %v",
			a.Status().Node, b.Status().Node, kept.Sub(stopped).Round(time.Millisecond),
			seen[0].Round(time.Millisecond), seen[1].Round(time.Millisecond), seen[2].Round(time.Millisecond))
		waitFor(t, "every watch current", time.Minute, func() bool {
			for _, n := range nodes {
				if s := n.Status().StaleWatches; len(s) > 0 {
					return false
				}
			}
			return true
		})
		waitFor(t, "every node to hold its slot again", 2*time.Minute, func() bool {
			return hs.live(0) == 1 && hs.live(1) == 1 && hs.live(2) == 1
		})
		nc.start(i)
	}
	if n := lost.Load(); n > 0 {
		t.Logf("bind slots lost and taken again: %d", n)
	}
	for _, n := range nodes {
		n.mu.Lock()
		for key, revs := range n.applied {
			if len(revs) != 1 {
				t.Errorf("node %s applied %s at revisions %v, want once", n.Status().Node, key, revs)
			}
		}
		n.mu.Unlock()
	}
}
