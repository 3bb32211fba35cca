package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/message"
)

// TestKeepRefSettlesAPendingClaim: a node that stored a message under a
// client_ref and stopped before writing its id to the bucket (or failed
// to) leaves the claim pending, and every other node answers a
// resubmission "send again later". When the reference comes back to the
// node, its store answers it, and KeepRef writes the id: from then on
// every node answers the resubmission as a duplicate with that id.
func TestKeepRefSettlesAPendingClaim(t *testing.T) {
	nodes := openNamed(t, "refs", 3, 15*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, "every node's stream and buckets", time.Minute, func() bool {
		return nodes[0].Ready() && nodes[1].Ready() && nodes[2].Ready()
	})
	_, settle, err := nodes[0].ClaimRef(ctx, "shop", "order-1")
	if err != nil || settle == nil {
		t.Fatalf("a new reference: settle %v, err %v", settle != nil, err)
	}
	// The node stores the message as 0x4201 and stops before settle.
	const id = message.ID(0x4201)
	if _, _, err := nodes[1].ClaimRef(ctx, "shop", "order-1"); !errors.Is(err, cluster.ErrRefPending) {
		t.Fatalf("another node on a pending claim: %v, want ErrRefPending", err)
	}

	// Another node's KeepRef changes nothing: the claim is not its own.
	nodes[1].KeepRef(ctx, "shop", "order-1", 0x9999)
	if _, _, err := nodes[2].ClaimRef(ctx, "shop", "order-1"); !errors.Is(err, cluster.ErrRefPending) {
		t.Fatalf("after another node's KeepRef: %v, want ErrRefPending", err)
	}

	// A node reads the bucket from any replica, which may be a moment
	// behind a write: until it catches up it answers "pending" (or, on a
	// busy machine, "unavailable": its read timed out).
	answers := func(n *cluster.Node, ref string, want message.ID) func() bool {
		return func() bool {
			other, s, err := n.ClaimRef(ctx, "shop", ref)
			retry := errors.Is(err, cluster.ErrRefPending) || errors.Is(err, cluster.ErrRefsUnavailable)
			if err != nil && !retry || s != nil || other != 0 && other != want {
				t.Fatalf("%s: other %v, settle %v, err %v; want %v as a duplicate", ref, other, s != nil, err, want)
			}
			return other == want
		}
	}
	nodes[0].KeepRef(ctx, "shop", "order-1", id)
	for _, n := range nodes[1:] {
		waitFor(t, "order-1 answered with its id", 30*time.Second, answers(n, "order-1", id))
	}
	// Settled already: KeepRef again changes nothing. A reference the
	// bucket does not hold (accepted before the node joined a cluster, or
	// its entry expired) is written, so that no other node takes it anew.
	nodes[0].KeepRef(ctx, "shop", "order-1", id)
	nodes[0].KeepRef(ctx, "shop", "before-the-cluster", 0x4202)
	waitFor(t, "a reference kept before the cluster answered with its id", 30*time.Second, answers(nodes[1], "before-the-cluster", 0x4202))
	waitFor(t, "order-1 still answered with its id", 30*time.Second, answers(nodes[2], "order-1", id))
}

// TestClaimRefsAtOnce: a batch's references are claimed together, each
// with the answer ClaimRef gives it alone: a new one is claimed, one this
// node claimed before (here, twice in one batch) is its own again, one
// another node holds is pending until that node settles it, then answered
// with its id, and one that node gave up is free to claim.
func TestClaimRefsAtOnce(t *testing.T) {
	nodes := openNamed(t, "batch", 3, 15*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, "every node's stream and buckets", time.Minute, func() bool {
		return nodes[0].Ready() && nodes[1].Ready() && nodes[2].Ready()
	})
	shop := []string{"shop", "shop", "shop"}
	others, errs, settle := nodes[0].ClaimRefs(ctx, shop, []string{"a", "b", "a"})
	for i, err := range errs {
		if err != nil || others[i] != 0 {
			t.Fatalf("new references on node 1, #%d: other %v, err %v", i, others[i], err)
		}
	}
	// Another node, before node 1 settles: its references are pending;
	// a new one in the same batch is claimed.
	others, errs, settle2 := nodes[1].ClaimRefs(ctx, shop, []string{"a", "new", "b"})
	for i, want := range []bool{true, false, true} {
		if pending := errors.Is(errs[i], cluster.ErrRefPending); pending != want || others[i] != 0 || !want && errs[i] != nil {
			t.Fatalf("node 2 #%d: other %v, err %v; want pending %v", i, others[i], errs[i], want)
		}
	}
	settle2([]message.ID{0, 0x4302, 0})
	// Node 1 stored a (twice in its batch, one message) and not b.
	settle([]message.ID{0x4201, 0, 0x4201})

	waitFor(t, "a answered with its id, b free to claim", 30*time.Second, func() bool {
		others, errs, settle := nodes[2].ClaimRefs(ctx, shop, []string{"a", "b", "new"})
		for i, err := range errs {
			retry := errors.Is(err, cluster.ErrRefPending) || errors.Is(err, cluster.ErrRefsUnavailable)
			if err != nil && !retry {
				t.Fatalf("node 3 #%d: %v", i, err)
			}
		}
		if others[0] != 0 && others[0] != 0x4201 || others[1] != 0 || others[2] != 0 && others[2] != 0x4302 {
			t.Fatalf("node 3: others %v, want a as 0x4201, new as 0x4302", others)
		}
		done := others[0] == 0x4201 && errs[1] == nil && others[2] == 0x4302
		ids := []message.ID{0, 0, 0}
		if done {
			ids[1] = 0x4303 // b stored here
		}
		settle(ids) // b given up again until every answer is in
		return done
	})
	waitFor(t, "b answered with node 3's id", 30*time.Second, func() bool {
		others, errs, _ := nodes[0].ClaimRefs(ctx, shop[:1], []string{"b"})
		return errs[0] == nil && others[0] == 0x4303
	})
}

// TestBatchIDsInOneWrite: the ids of a batch's new claims are written to
// the bucket in one entry, not one write each, and every other node
// answers each reference with its own id from it.
func TestBatchIDsInOneWrite(t *testing.T) {
	nodes := openNamed(t, "ids", 3, 15*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, "every node's stream and buckets", time.Minute, func() bool {
		return nodes[0].Ready() && nodes[1].Ready() && nodes[2].Ready()
	})
	const n = 10
	var customers, refs []string
	var ids []message.ID
	for i := range n {
		customers, refs = append(customers, "shop"), append(refs, fmt.Sprintf("order-%d", i))
		ids = append(ids, message.ID(0x4201+i<<8))
	}
	before, err := nodes[0].RefWrites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, errs, settle := nodes[0].ClaimRefs(ctx, customers, refs)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	settle(ids)
	after, err := nodes[0].RefWrites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if writes := after - before; writes != n+1 {
		t.Errorf("%d claims and their ids took %d writes, want %d", n, writes, n+1)
	}
	waitFor(t, "every reference answered with its id elsewhere", 30*time.Second, func() bool {
		others, errs, _ := nodes[1+int(time.Now().UnixNano()%2)].ClaimRefs(ctx, customers, refs)
		for i := range refs {
			retry := errors.Is(errs[i], cluster.ErrRefPending) || errors.Is(errs[i], cluster.ErrRefsUnavailable)
			if errs[i] != nil && !retry || errs[i] == nil && others[i] != ids[i] {
				t.Fatalf("%s: other %v, err %v; want %v", refs[i], others[i], errs[i], ids[i])
			}
			if errs[i] != nil {
				return false
			}
		}
		return true
	})
}
