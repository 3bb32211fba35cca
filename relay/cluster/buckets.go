package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The node number bucket's name. Part of the cluster's format.
const nodeBucket = "RELAY_NODE_NUMBERS"

// bucketsLoop sets up the buckets this node writes (client references,
// node numbers) and claims the node's number, retrying with a growing
// pause until it succeeds or the node closes; it runs beside setupLoop, so
// that receipts do not wait for it.
func (n *Node) bucketsLoop() {
	pause := 100 * time.Millisecond
	for {
		err := n.setupBuckets()
		if err == nil {
			n.partSetUp()
			return
		}
		n.log.Debug("cluster: buckets not ready yet", "err", err)
		select {
		case <-n.stop:
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

func (n *Node) setupBuckets() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := n.claimNumber(ctx); err != nil {
		return err
	}
	return n.setupRefs(ctx)
}

// nodeEntry is a value of the node number bucket. Part of the cluster's
// format.
type nodeEntry struct {
	Node string `json:"node"`
}

// claimNumber records in RELAY_NODE_NUMBERS that this node's number is its own.
// A number another node holds is a configuration error that would make
// two nodes give out the same message ids: the node refuses new messages
// (ErrNumberTaken) until it is fixed. The bucket keeps a claim for good;
// to give a retired node's number to another, delete its key
// ("number.N") from the bucket.
func (n *Node) claimNumber(ctx context.Context) error {
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      nodeBucket,
		Description: "node_number → the node holding it; every message id holds its node's number",
		Replicas:    n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
		History:     1,
	})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", nodeBucket, err)
	}
	key := "number." + strconv.Itoa(n.cfg.NodeNumber)
	me, _ := json.Marshal(nodeEntry{Node: n.cfg.Node})
	if _, err := kv.Create(ctx, key, me); err == nil || !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	e, err := kv.Get(ctx, key)
	if err != nil {
		return err
	}
	var v nodeEntry
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if v.Node != n.cfg.Node {
		n.taken.Store(&v.Node)
		n.log.Error("cluster: node_number is another node's; new messages are refused until it is fixed",
			"node_number", n.cfg.NodeNumber, "held_by", v.Node)
	}
	return nil
}

// ErrNumberTaken is returned by ClaimRef and CheckNumber when another node
// holds this node's node_number: its message ids could be another node's.
var ErrNumberTaken = errors.New("cluster: node_number held by another node")

// CheckNumber reports whether this node may make message ids: nil unless
// another node holds its number.
func (n *Node) CheckNumber() error {
	if p := n.taken.Load(); p != nil {
		return fmt.Errorf("%w (%s): fix [cluster] node_number", ErrNumberTaken, *p)
	}
	return nil
}
