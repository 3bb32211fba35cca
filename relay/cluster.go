package relay

import (
	"context"
	"time"

	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/intake"
)

// joinCluster opens the node's membership of the cluster, when the
// configuration has a [cluster]: the embedded NATS server if any, the
// connection, and the receipt stream, read into the store. It does not
// wait for a quorum. Without [cluster] it does nothing: no NATS at all.
func (d *Daemon) joinCluster() error {
	if !d.cfg.Cluster.Enabled() {
		return nil
	}
	n, err := cluster.Open(d.cfg.Cluster, cluster.Options{DataDir: d.cfg.DataDir, Logger: d.log, Metrics: d.set, Now: d.opts.Now})
	if err != nil {
		return err
	}
	d.cluster = n
	n.Start(d.st)
	return nil
}

// awaitCluster waits, before the node listens, until its receipt stream
// and the buckets it writes (billing's too) are set up, for at most
// [cluster] start_wait:
// a node listening before would refuse submits with a client_ref
// (STORE_UNAVAILABLE) until then. A node with no quorum by then listens
// anyway.
func (d *Daemon) awaitCluster() error {
	if d.cluster == nil {
		return nil
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Cluster.StartWait)
	defer cancel()
	err := d.cluster.WaitSetUp(ctx)
	if err == nil && d.billing != nil {
		err = d.billing.WaitSetUp(ctx) // statements and counts answer from it
	}
	if err != nil {
		d.log.Warn("cluster: streams and buckets not set up yet, listening anyway: receipts for other nodes and submits with a client_ref are refused with a temporary error until they are",
			"waited", time.Since(start).Round(time.Millisecond))
		return nil
	}
	d.log.Info("cluster: streams and buckets set up", "waited", time.Since(start).Round(time.Millisecond))
	return nil
}

// elsewhere is where the correlator sends the receipts it cannot
// correlate: the cluster, or nowhere (the store parks them).
func (d *Daemon) elsewhere() dispatch.Elsewhere {
	if d.cluster == nil {
		return nil
	}
	return d.cluster
}

// bindSlots shares carriers' max_binds with the cluster's other nodes,
// or is nil: alone, each carrier keeps min(binds, max_binds).
func (d *Daemon) bindSlots() dispatch.BindSlots {
	if d.cluster == nil {
		return nil
	}
	return d.cluster
}

// refs is what keeps client references and message ids unique across the
// nodes: the cluster, or nothing for a relay alone.
func (d *Daemon) refs() intake.Refs {
	if d.cluster == nil {
		return nil
	}
	return d.cluster
}

func (d *Daemon) leaveCluster() error {
	if d.cluster != nil {
		d.cluster.Close()
	}
	return nil
}

// Cluster is the node's membership of the cluster, nil without [cluster].
func (d *Daemon) Cluster() *cluster.Node { return d.cluster }

// clusterStatus is the node's status with what the daemon holds of the
// cluster: the shared state and the heartbeats.
func (d *Daemon) clusterStatus() *cluster.Status {
	if d.cluster == nil {
		return nil
	}
	s := d.cluster.Status()
	s.StateLoaded = d.sharedState != nil && d.sharedState.Loaded()
	s.LiveNodes = d.LiveNodes()
	return &s
}
