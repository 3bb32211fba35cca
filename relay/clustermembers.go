package relay

// shareRates makes each customer's rate hold across the cluster: every
// live node (known from the heartbeat bucket) takes an equal share of the
// rate and the burst, split again whenever a node joins or leaves. Without
// [cluster] it does nothing: a relay alone takes all of it.
//
// The split is even: a node whose clients send less than its share leaves
// the difference unused, and the customer's rate across the cluster is at
// most the configured one. A node cut off from NATS keeps the share it had
// until it hears of the others again.
func (d *Daemon) shareRates() error {
	if d.cluster == nil {
		return nil
	}
	d.members = d.cluster.Heartbeat(func(live []string) {
		d.door.SetRateShare(1 / float64(len(live)))
	})
	d.set.NewGauge(`relay_cluster_live_nodes`, func() float64 { return float64(len(d.members.Live())) })
	d.set.NewGauge(`relay_cluster_state_loaded`, func() float64 {
		if d.sharedState.Loaded() {
			return 1
		}
		return 0
	})
	return nil
}

// LiveNodes is the cluster's live nodes as this node knows them (sorted,
// itself included); nil without [cluster].
func (d *Daemon) LiveNodes() []string {
	if d.members == nil {
		return nil
	}
	return d.members.Live()
}

// RateShare is the part of each customer's rate this node enforces: 1
// alone, 1/n of n live nodes.
func (d *Daemon) RateShare() float64 { return d.door.RateShare() }
