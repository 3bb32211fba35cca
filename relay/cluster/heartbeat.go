package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sync"
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

	mu struct {
		sync.Mutex
		seen map[string]time.Time // other nodes, by when this node last read their heartbeat
		live []string             // sorted, this node included
	}
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
	pause := 100 * time.Millisecond
	for {
		err := m.beat()
		select {
		case <-m.n.stop:
			return
		default:
		}
		m.n.log.Debug("cluster: heartbeat bucket not ready", "err", err)
		select {
		case <-m.n.stop:
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// beat sets the bucket up, then writes this node's heartbeat every third
// of node_ttl and follows the others' until the watcher fails or the node
// closes.
func (m *Members) beat() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ttl := m.n.cfg.NodeTTL
	setup, done := context.WithTimeout(ctx, 5*time.Second)
	kv, err := m.n.js.CreateOrUpdateKeyValue(setup, jetstream.KeyValueConfig{
		Bucket:         nodesBucket,
		Description:    "live relay nodes: one heartbeat each, kept for node_ttl",
		TTL:            ttl,
		LimitMarkerTTL: ttl, // watchers see a heartbeat expire
		Replicas:       m.n.cfg.Replicas,
		Storage:        jetstream.FileStorage,
	})
	done()
	if err != nil {
		return err
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	self := m.n.cfg.Node
	b, _ := json.Marshal(heartbeat{Node: self, At: m.n.now().UnixNano(), Started: m.n.start.UnixNano()})
	put := func() {
		pctx, cancel := context.WithTimeout(ctx, ttl/3)
		_, err := kv.Put(pctx, self, b)
		cancel()
		if err != nil {
			m.n.log.Debug("cluster: heartbeat not kept", "err", err)
		}
	}
	put()
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-m.n.stop:
			// Leave at once: the others re-split without waiting for the TTL.
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = kv.Delete(dctx, self)
			cancel()
			return nil
		case <-t.C:
			b, _ = json.Marshal(heartbeat{Node: self, At: m.n.now().UnixNano(), Started: m.n.start.UnixNano()})
			put()
			m.sweep(time.Now(), ttl)
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("heartbeat watcher closed")
			}
			if e == nil || e.Key() == self {
				continue
			}
			m.mu.Lock()
			if e.Operation() == jetstream.KeyValuePut {
				m.mu.seen[e.Key()] = time.Now()
			} else {
				delete(m.mu.seen, e.Key())
			}
			m.mu.Unlock()
			m.sweep(time.Now(), ttl)
		}
	}
}

// sweep drops the nodes not heard of for longer than ttl (a missed expiry
// marker) and tells onChange if the live nodes changed.
func (m *Members) sweep(now time.Time, ttl time.Duration) {
	m.mu.Lock()
	for node, at := range m.mu.seen {
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
