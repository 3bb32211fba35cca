package cluster

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The heartbeat bucket: one key per live node, written every third of
// node_ttl, kept for node_ttl. Part of the cluster's format.
const nodesBucket = "RELAY_NODES"

// heartbeat is a node's key in the heartbeat bucket.
type heartbeat struct {
	Node    string `json:"node"`
	At      int64  `json:"at"`      // Unix ns, the node's clock
	Started int64  `json:"started"` // Unix ns, when the node opened
}

// Members tells which nodes of the cluster are live: those whose
// heartbeat is in the bucket. A node counts itself live always, so that a
// node without NATS takes a share of one (itself) until it knows better.
type Members struct {
	n        *Node
	onChange func(live []string)

	// sweeping is held through a sweep and its onChange: the heartbeat
	// and the watch both sweep, and onChange must see the last change last.
	sweeping sync.Mutex
	mu       struct {
		sync.Mutex
		seen map[string]time.Time // other nodes, by when this node last read their heartbeat
		live []string             // sorted, this node included
		// deaf is when this node last could not hear the others: its
		// own heartbeat not kept (the bucket not answering) or its watch
		// not current. Silence counts only from then on.
		deaf time.Time
	}
	kept atomic.Bool // the bucket kept this node's last heartbeat
}

// Heartbeat starts this node's heartbeat and watches the others' until
// the node closes; onChange is called with the live nodes (sorted, this
// one included) at start and whenever they change. A node that closes
// cleanly removes its heartbeat, so the others see it leave at once; one
// that dies leaves after node_ttl.
func (n *Node) Heartbeat(onChange func(live []string)) *Members {
	m := &Members{n: n, onChange: onChange}
	m.mu.seen = map[string]time.Time{}
	m.mu.live = []string{n.cfg.Node}
	onChange(m.mu.live)
	n.wg.Go(m.run)
	return m
}

// Live is the live nodes now, sorted, this node included.
func (m *Members) Live() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.mu.live)
}

func (m *Members) run() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	pause := 100 * time.Millisecond
	var kv jetstream.KeyValue
	for {
		var err error
		if kv, err = m.setup(ctx); err == nil {
			break
		}
		m.n.log.Debug("cluster: heartbeat bucket not ready", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { m.beat(ctx, kv) })
	m.n.watches.nodes.follow(ctx, kv, func(batch []jetstream.KeyValueEntry, _ bool) {
		now := time.Now()
		m.mu.Lock()
		for _, e := range batch {
			switch {
			case e.Key() == m.n.cfg.Node:
			case e.Operation() == jetstream.KeyValuePut:
				m.mu.seen[e.Key()] = now
			default:
				delete(m.mu.seen, e.Key())
			}
		}
		m.mu.Unlock()
		m.sweep(now, m.n.cfg.NodeTTL)
	})
}

func (m *Members) setup(ctx context.Context) (jetstream.KeyValue, error) {
	ttl := m.n.cfg.NodeTTL
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return m.n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:         nodesBucket,
		Description:    "live relay nodes: one heartbeat each, kept for node_ttl",
		TTL:            ttl,
		LimitMarkerTTL: ttl, // watchers see a heartbeat expire
		Replicas:       m.n.cfg.Replicas,
		Storage:        jetstream.FileStorage,
	})
}

// beat writes this node's heartbeat every third of node_ttl, and drops
// the nodes not heard of, until ctx ends; then it deletes the heartbeat,
// so that the others re-split without waiting for the TTL. It does not
// wait for the watch: a node whose watcher is being recreated still
// counts as live for the others.
func (m *Members) beat(ctx context.Context, kv jetstream.KeyValue) {
	ttl := m.n.cfg.NodeTTL
	self := m.n.cfg.Node
	put := func() {
		b, _ := json.Marshal(heartbeat{Node: self, At: m.n.now().UnixNano(), Started: m.n.start.UnixNano()})
		pctx, cancel := context.WithTimeout(ctx, ttl/3)
		_, err := kv.Put(pctx, self, b)
		cancel()
		m.kept.Store(err == nil)
		if err != nil && ctx.Err() == nil {
			m.n.log.Debug("cluster: heartbeat not kept", "err", err)
		}
	}
	put()
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = kv.Delete(dctx, self)
			cancel()
			return
		case <-t.C:
			put()
			m.sweep(time.Now(), ttl)
		}
	}
}

// sweep drops the nodes not heard of for longer than ttl (a missed expiry
// marker) and tells onChange if the live nodes changed. A node is not
// dropped for a silence while this node could not hear: when the bucket
// has no leader for a while (its server lost), no heartbeat is kept, and
// every node would drop every other at once.
func (m *Members) sweep(now time.Time, ttl time.Duration) {
	m.sweeping.Lock()
	defer m.sweeping.Unlock()
	m.mu.Lock()
	if !m.kept.Load() || !m.n.watches.nodes.current.Load() {
		m.mu.deaf = now
	}
	for node, at := range m.mu.seen {
		if at.Before(m.mu.deaf) {
			at = m.mu.deaf
		}
		if now.Sub(at) > ttl+ttl/3 {
			delete(m.mu.seen, node)
		}
	}
	live := append(slices.Collect(maps.Keys(m.mu.seen)), m.n.cfg.Node)
	slices.Sort(live)
	changed := !slices.Equal(live, m.mu.live)
	if changed {
		m.mu.live = live
	}
	m.mu.Unlock()
	if changed {
		m.n.log.Info("cluster: live nodes", "nodes", live)
		m.onChange(live)
	}
}
