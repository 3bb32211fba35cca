package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/msgrelay/relay/relay/message"
)

// The client reference bucket's name and its key prefix. Part of the
// cluster's format: every node of a cluster must agree on them.
const (
	refBucket    = "RELAY_REFS"
	refKeyPrefix = "r."
)

var (
	// ErrRefPending is returned by ClaimRef when another node holds the
	// reference and has not said under which id it stored the message: it
	// is storing it now, or it stopped in between. The client must send
	// again later (to any node); nothing was accepted.
	ErrRefPending = errors.New("cluster: client_ref being accepted by another node")
	// ErrRefsUnavailable is returned by ClaimRef when the bucket did not
	// answer (no quorum, no server, not set up yet). The client must send
	// again later: without the bucket no node can tell a resubmission from
	// a new message.
	ErrRefsUnavailable = errors.New("cluster: client_ref bucket unavailable")
)

// refEntry is a value of the bucket, one small JSON object. ID is empty
// while the node is storing the message. Part of the cluster's format: add
// fields, never rename them.
type refEntry struct {
	Node string `json:"node"`
	ID   string `json:"id,omitempty"`
}

// refs is the node's handle on the client reference bucket.
type refs struct {
	kv atomic.Pointer[jetstream.KeyValue] // nil until set up
}

func refBucketConfig(c *Config) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      refBucket,
		Description: "client_ref of a customer → the node and message id that accepted it",
		TTL:         c.RefRetention,
		Replicas:    c.Replicas,
		Storage:     jetstream.FileStorage,
		History:     1,
	}
}

// refKey is the bucket key of a customer's reference: a hash, since both
// may hold any character and keys may not.
func refKey(customer, ref string) string {
	h := sha256.New()
	h.Write([]byte(customer))
	h.Write([]byte{0})
	h.Write([]byte(ref))
	return refKeyPrefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// ClaimRef makes a customer's client reference this node's before the
// node stores a message under it, so that no other node accepts it too.
//
//   - The reference is new, or this node claimed it before: ClaimRef
//     returns settle, which the caller must call once the store answered,
//     with the message's id (new or the store's duplicate), or with 0 if it
//     stored nothing (the claim is then given up).
//   - Another node accepted it: ClaimRef returns that message's id (other);
//     the caller answers it as a duplicate and stores nothing.
//   - Another node claimed it and has not settled: ErrRefPending.
//   - The bucket does not answer: ErrRefsUnavailable.
//
// Both errors mean: not accepted, send again later.
func (n *Node) ClaimRef(ctx context.Context, customer, ref string) (other message.ID, settle func(message.ID), err error) {
	if err := n.CheckNumber(); err != nil {
		return 0, nil, err
	}
	kvp := n.refs.kv.Load()
	if kvp == nil {
		n.m.refs.unavailable.Inc()
		return 0, nil, fmt.Errorf("%w: not set up yet", ErrRefsUnavailable)
	}
	kv := *kvp
	key := refKey(customer, ref)
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	pending, _ := json.Marshal(refEntry{Node: n.cfg.Node})
	rev, err := kv.Create(ctx, key, pending)
	if err == nil {
		n.m.refs.claimed.Inc()
		return 0, n.settler(kv, key, rev), nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		n.m.refs.unavailable.Inc()
		return 0, nil, fmt.Errorf("%w: %w", ErrRefsUnavailable, err)
	}
	e, err := kv.Get(ctx, key)
	if err != nil {
		// Created by someone a moment ago and not readable here yet, or no
		// answer: either way, not now.
		n.m.refs.pending.Inc()
		return 0, nil, fmt.Errorf("%w: %w", ErrRefPending, err)
	}
	var v refEntry
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return 0, nil, fmt.Errorf("%w: entry %s: %w", ErrRefsUnavailable, key, err)
	}
	if v.Node == n.cfg.Node {
		// Claimed here before: settled (the store has it), or this node
		// stopped before settling (the store has it or not). The store
		// answers either way.
		n.m.refs.own.Inc()
		return 0, n.settler(kv, key, e.Revision()), nil
	}
	if v.ID == "" {
		n.m.refs.pending.Inc()
		return 0, nil, fmt.Errorf("%w: %s", ErrRefPending, v.Node)
	}
	id, err := message.ParseID(v.ID)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: entry %s: %w", ErrRefsUnavailable, key, err)
	}
	n.m.refs.elsewhere.Inc()
	return id, nil, nil
}

// settler returns the function that records the id a claimed reference
// was stored under, or gives the claim up (id 0). A failure leaves the
// claim pending, which only costs a resubmission elsewhere a retry: this
// node settles it when the reference comes back here.
func (n *Node) settler(kv jetstream.KeyValue, key string, rev uint64) func(message.ID) {
	return func(id message.ID) {
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.PublishTimeout)
		defer cancel()
		var err error
		if id == 0 {
			err = kv.Delete(ctx, key, jetstream.LastRevision(rev))
		} else {
			b, _ := json.Marshal(refEntry{Node: n.cfg.Node, ID: id.String()})
			_, err = kv.Update(ctx, key, b, rev)
		}
		if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			// ErrKeyExists here is a revision mismatch: a copy of the same
			// submit in the same batch settled it first.
			n.m.refs.settleErrors.Inc()
		}
	}
}

// KeepRef makes the bucket say what this node's store says: the
// customer's reference was accepted here under id. It is called when the
// store answers a resubmission, which takes no claim. It writes the id to
// a claim of this node left pending (the settle failed, or the node
// stopped between its store and the settle), and creates the entry if the
// bucket has none (accepted before the node joined a cluster, or expired);
// until then every other node answers the reference "send again later", or
// could take it anew. An entry of another node, or one that holds an id
// already, is left as it is. Errors are counted, not returned: the store
// has answered the client, and the next resubmission here tries again.
func (n *Node) KeepRef(ctx context.Context, customer, ref string, id message.ID) {
	kvp := n.refs.kv.Load()
	if kvp == nil || id == 0 {
		return
	}
	kv := *kvp
	key := refKey(customer, ref)
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	b, _ := json.Marshal(refEntry{Node: n.cfg.Node, ID: id.String()})
	// A read may come from a replica a moment behind: a write made on what
	// it saw fails (the key exists, or its revision moved on) and the
	// entry is read again.
	for attempt := 1; ; attempt++ {
		e, err := kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			_, err = kv.Create(ctx, key, b)
		case err == nil:
			var v refEntry
			if json.Unmarshal(e.Value(), &v) != nil || v.Node != n.cfg.Node || v.ID != "" {
				return // another node's, or settled
			}
			_, err = kv.Update(ctx, key, b, e.Revision())
		}
		if err == nil {
			n.m.refs.kept.Inc()
			return
		}
		if !errors.Is(err, jetstream.ErrKeyExists) || attempt == 5 {
			n.m.refs.settleErrors.Inc()
			return
		}
		select {
		case <-ctx.Done():
			n.m.refs.settleErrors.Inc()
			return
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// setupRefs creates the client reference bucket, or opens it.
func (n *Node) setupRefs(ctx context.Context) error {
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, refBucketConfig(&n.cfg))
	if err != nil {
		return fmt.Errorf("bucket %s: %w", refBucket, err)
	}
	n.refs.kv.Store(&kv)
	return nil
}
