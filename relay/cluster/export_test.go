package cluster

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RefWrites is the number of writes the client reference bucket has taken
// so far (its stream's last sequence).
func (n *Node) RefWrites(ctx context.Context) (uint64, error) {
	s, err := n.js.Stream(ctx, "KV_"+refBucket)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// WrapLeaseBucket has the node reach its bind lease bucket through
// wrap(bucket). Call it before Start.
func (n *Node) WrapLeaseBucket(wrap func(jetstream.KeyValue) jetstream.KeyValue) {
	n.leases.wrap = wrap
}

// Conn is the node's connection to NATS.
func (n *Node) Conn() *nats.Conn { return n.nc }
