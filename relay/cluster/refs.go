package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/msgrelay/relay/relay/message"
)

// The client reference bucket's name and its key prefix. Part of the
// cluster's format: every node of a cluster must agree on them.
const (
	refBucket    = "RELAY_REFS"
	refKeyPrefix = "r."
)

// refSubjectPrefix is the subject a key of the bucket is written on,
// before the key.
const refSubjectPrefix = "$KV." + refBucket + "."

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
// while the node is storing the message, and stays empty when the id is
// written in the claim's batch: then Batch names the batch's key and At
// the claim's place in it. Part of the cluster's format: add fields, never
// rename them. (A node that knows no Batch takes such a claim for pending
// and answers "send again later", never a wrong id.)
type refEntry struct {
	Node  string `json:"node"`
	ID    string `json:"id,omitempty"`
	Batch string `json:"batch,omitempty"`
	At    int    `json:"at,omitempty"`
}

// refBatch is the value of a batch key (refBatchPrefix): the ids of the
// claims a node made in one batch, by their At, each written once the
// node's store answered ("": not stored, its claim given up). Written
// after every claim of the batch, so it expires after them.
type refBatch struct {
	IDs []string `json:"ids"`
}

// refBatchPrefix begins the key of a batch of claims.
const refBatchPrefix = "b."

// newBatchKey returns a key for a batch of claims no other batch has.
func (n *Node) newBatchKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return refBatchPrefix + hex.EncodeToString(b[:])
}

// batchID reads the id of claim v from its batch: 0 if the batch is not
// written yet (or the claim's message was not stored).
func batchID(ctx context.Context, kv jetstream.KeyValue, v refEntry) (message.ID, error) {
	e, err := kv.Get(ctx, v.Batch)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var b refBatch
	if err := json.Unmarshal(e.Value(), &b); err != nil {
		return 0, fmt.Errorf("entry %s: %w", v.Batch, err)
	}
	if v.At < 0 || v.At >= len(b.IDs) || b.IDs[v.At] == "" {
		return 0, nil
	}
	return message.ParseID(b.IDs[v.At])
}

// refs is the node's handle on the client reference bucket.
type refs struct {
	kv atomic.Pointer[jetstream.KeyValue] // nil until set up
	// js publishes claims and ids; set before kv. Its acknowledgements
	// time out after PublishTimeout, so that a write nobody answers (no
	// quorum) is not waited for, nor remembered, for ever.
	js jetstream.JetStream
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
	others, errs, settleAll := n.ClaimRefs(ctx, []string{customer}, []string{ref})
	if errs[0] != nil || others[0] != 0 {
		return others[0], nil, errs[0]
	}
	return 0, func(id message.ID) { settleAll([]message.ID{id}) }, nil
}

// ClaimRefs claims the references refs[i] of customers[i] all at once,
// each with ClaimRef's answer: others[i] is the id another node accepted
// refs[i] under, errs[i] says send it again later, and each of the others
// is claimed. settle, never nil, must be called once the store answered,
// with ids[i] the id refs[i] was stored under (0: not stored, the claim is
// given up); entries not claimed are ignored. It returns once the bucket
// kept every id, or failed to.
//
// The claims go out as one pipeline of publishes, each expecting the key
// to have no entry, and are waited for together, as the ids are: a batch
// costs about one replicated round trip, not one each. A reference that
// has an entry (this node's, another's, a claim given up) is then read and
// claimed alone, as ClaimRef always did.
func (n *Node) ClaimRefs(ctx context.Context, customers, refs []string) (others []message.ID, errs []error, settle func(ids []message.ID)) {
	others, errs = make([]message.ID, len(refs)), make([]error, len(refs))
	settle = func([]message.ID) {}
	fail := func(err error) {
		for i := range errs {
			errs[i] = err
		}
		n.m.refs.unavailable.Add(len(errs))
	}
	if err := n.CheckNumber(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return others, errs, settle
	}
	kvp := n.refs.kv.Load()
	if kvp == nil {
		fail(fmt.Errorf("%w: not set up yet", ErrRefsUnavailable))
		return others, errs, settle
	}
	kv, js := *kvp, n.refs.js
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	// A reference twice in the batch (a submit sent again before its
	// answer) is claimed once; its copies share the claim's answer.
	keys := make([]string, 0, len(refs))
	first := make([]int, len(refs)) // refs[i]'s index in keys
	seen := make(map[string]int, len(refs))
	for i := range refs {
		k := refKey(customers[i], refs[i])
		j, ok := seen[k]
		if !ok {
			j = len(keys)
			seen[k], keys = j, append(keys, k)
		}
		first[i] = j
	}
	// Each claim names the batch key its id will be written in.
	batch := n.newBatchKey()
	values := make([][]byte, len(keys))
	for j := range values {
		values[j], _ = json.Marshal(refEntry{Node: n.cfg.Node, Batch: batch, At: j})
	}
	revs := make([]uint64, len(keys)) // of the claims made: 0 for none
	fresh := make([]bool, len(keys))  // claimed here, in this batch
	kother, kerrs := make([]message.ID, len(keys)), make([]error, len(keys))
	var again []int
	for j, err := range publishAll(ctx, js, keys, values, revs) {
		switch {
		case err == nil:
			n.m.refs.claimed.Inc()
			fresh[j] = true
		case isWrongLastSeq(err):
			again = append(again, j) // an entry: read it
		default:
			revs[j] = 0
			n.m.refs.unavailable.Inc()
			kerrs[j] = fmt.Errorf("%w: %w", ErrRefsUnavailable, err)
		}
	}
	var wg sync.WaitGroup
	for _, j := range again {
		wg.Go(func() { kother[j], revs[j], kerrs[j] = n.claimExisting(ctx, kv, keys[j]) })
	}
	wg.Wait()
	for i, j := range first {
		others[i], errs[i] = kother[j], kerrs[j]
	}
	return others, errs, func(ids []message.ID) {
		// The id of a key is its first claimed copy's: the store answers
		// the others as duplicates of it.
		kids := make([]message.ID, len(keys))
		for i, j := range first {
			if kids[j] == 0 {
				kids[j] = ids[i]
			}
		}
		n.settle(kv, js, batch, keys, revs, fresh, kids)
	}
}

// claimExisting claims a key that has an entry, or had one: it returns
// the id another node accepted it under, or the revision of this node's
// claim, or an error as ClaimRef's.
func (n *Node) claimExisting(ctx context.Context, kv jetstream.KeyValue, key string) (message.ID, uint64, error) {
	pending, _ := json.Marshal(refEntry{Node: n.cfg.Node})
	// Create again: it also takes a key whose claim was given up (its
	// entry is a delete marker).
	rev, err := kv.Create(ctx, key, pending)
	if err == nil {
		n.m.refs.claimed.Inc()
		return 0, rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		n.m.refs.unavailable.Inc()
		return 0, 0, fmt.Errorf("%w: %w", ErrRefsUnavailable, err)
	}
	e, err := kv.Get(ctx, key)
	if err != nil {
		// Created by someone a moment ago and not readable here yet, or no
		// answer: either way, not now.
		n.m.refs.pending.Inc()
		return 0, 0, fmt.Errorf("%w: %w", ErrRefPending, err)
	}
	var v refEntry
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return 0, 0, fmt.Errorf("%w: entry %s: %w", ErrRefsUnavailable, key, err)
	}
	if v.Node == n.cfg.Node {
		// Claimed here before: settled (the store has it), or this node
		// stopped before settling (the store has it or not). The store
		// answers either way.
		n.m.refs.own.Inc()
		return 0, e.Revision(), nil
	}
	var id message.ID
	switch {
	case v.ID != "":
		id, err = message.ParseID(v.ID)
	case v.Batch != "":
		id, err = batchID(ctx, kv, v)
	}
	if err == nil && id == 0 {
		n.m.refs.pending.Inc()
		return 0, 0, fmt.Errorf("%w: %s", ErrRefPending, v.Node)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%w: entry %s: %w", ErrRefsUnavailable, key, err)
	}
	n.m.refs.elsewhere.Inc()
	return id, 0, nil
}

// settle records the id each claimed reference was stored under, all at
// once, or gives the claim up (id 0). The ids of the claims made in this
// batch (fresh) go in one write, the batch key their claims name; a claim
// made before (this node's, taken again) gets its id in its own entry. A
// failure leaves the claims pending, which only costs a resubmission
// elsewhere a retry: this node settles each when its reference comes back
// here.
func (n *Node) settle(kv jetstream.KeyValue, js jetstream.JetStream, batch string, keys []string, revs []uint64, fresh []bool, ids []message.ID) {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.PublishTimeout)
	defer cancel()
	var (
		wg       sync.WaitGroup
		putKeys  []string
		putRevs  []uint64
		values   [][]byte
		inBatch  = refBatch{IDs: make([]string, len(keys))}
		anyFresh bool
	)
	for i, rev := range revs {
		switch {
		case rev == 0:
		case ids[i] == 0:
			// Rare (the store failed): one delete each.
			wg.Go(func() {
				if err := kv.Delete(ctx, keys[i], jetstream.LastRevision(rev)); err != nil && !isWrongLastSeq(err) {
					n.m.refs.settleErrors.Inc()
				}
			})
		case fresh[i]:
			inBatch.IDs[i], anyFresh = ids[i].String(), true
		default:
			b, _ := json.Marshal(refEntry{Node: n.cfg.Node, ID: ids[i].String()})
			putKeys, putRevs, values = append(putKeys, keys[i]), append(putRevs, rev), append(values, b)
		}
	}
	if anyFresh {
		b, _ := json.Marshal(inBatch)
		putKeys, putRevs, values = append(putKeys, batch), append(putRevs, 0), append(values, b)
	}
	for _, err := range publishAll(ctx, js, putKeys, values, putRevs) {
		// A wrong revision here is a copy of the same submit in the same
		// batch that settled it first.
		if err != nil && !isWrongLastSeq(err) {
			n.m.refs.settleErrors.Inc()
		}
	}
	wg.Wait()
}

// publishAll writes values[i] to keys[i] of the bucket, each expecting
// the key's last revision to be revs[i] (0: no entry), in one pipeline of
// publishes, and waits for every acknowledgement within ctx. It sets
// revs[i] to the new revision of each write made and returns each write's
// error.
func publishAll(ctx context.Context, js jetstream.JetStream, keys []string, values [][]byte, revs []uint64) []error {
	errs := make([]error, len(keys))
	futures := make([]jetstream.PubAckFuture, len(keys))
	for i, k := range keys {
		m := &nats.Msg{Subject: refSubjectPrefix + k, Header: nats.Header{}, Data: values[i]}
		futures[i], errs[i] = js.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(revs[i]))
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			revs[i] = ack.Sequence
		case errs[i] = <-f.Err():
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
	return errs
}

// isWrongLastSeq says whether a write failed because the key's last
// revision was not the one expected: it has an entry, or a newer one.
func isWrongLastSeq(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
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
			if v.Batch != "" {
				if got, berr := batchID(ctx, kv, v); berr == nil && got != 0 {
					return // settled in its batch
				}
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
	if n.refs.js == nil {
		if n.refs.js, err = jetstream.New(n.nc, jetstream.WithPublishAsyncTimeout(n.cfg.PublishTimeout)); err != nil {
			return fmt.Errorf("bucket %s: %w", refBucket, err)
		}
	}
	n.refs.kv.Store(&kv)
	return nil
}
