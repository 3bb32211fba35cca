package cluster

import (
	"fmt"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/store"
)

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_cluster_connected":                    "1 while the node is connected to a NATS server.",
	"relay_cluster_stream_ready":                 "1 while the receipt stream is set up, this node reads it, and it answers (a quorum of its servers is up).",
	"relay_cluster_routes":                       "Routes of the embedded NATS server to the cluster's other servers.",
	"relay_cluster_setup_errors_total":           "Tries to set up the receipt stream that failed (no quorum yet, no server).",
	"relay_cluster_receipts_forwarded_total":     "Receipts this node could not correlate and the stream kept, by whether the stream had a copy already.",
	"relay_cluster_receipts_refused_total":       "Receipts the stream did not keep (no quorum, no server): answered with a temporary error, the carrier sends them again.",
	"relay_cluster_receipts_read_total":          "Receipts this node read from the stream, by what its store did with them.",
	"relay_cluster_receipts_unreadable_total":    "Messages of the receipt stream no node can read; dropped.",
	"relay_cluster_apply_errors_total":           "Receipts of the stream this node's store could not write; read again.",
	"relay_cluster_refs_total":                   "Submits with a client_ref, and messages of payment events, checked in the RELAY_REFS bucket, by result: claimed (new here), own (claimed here before), elsewhere (answered with another node's id), pending (another node is storing it: retry), unavailable (no quorum: retry), kept (a resubmission this node's store answered wrote its id to a claim left pending, or to a missing entry).",
	"relay_cluster_bind_slots_held":              "Carrier bind slots this node holds (max_binds quotas).",
	"relay_cluster_bind_slots_taken_total":       "Carrier bind slots this node took.",
	"relay_cluster_bind_slots_lost_total":        "Carrier bind slots this node lost (not renewed in time, or another node's now) and unbound.",
	"relay_cluster_bind_slots_given_back_total":  "Carrier bind slots this node unbound and gave back for a node that held none.",
	"relay_cluster_bind_slot_renew_errors_total": "Renewals of a held bind slot the lease bucket did not answer.",
	"relay_cluster_ref_settle_errors_total":      "Claimed client_refs whose id could not be recorded in the bucket; a resubmission elsewhere is told to retry until this node settles it.",
	"relay_cluster_live_nodes":                   "Live nodes of the cluster as this node knows them from the heartbeats, itself included; each takes an equal share of every customer's rate.",
	"relay_cluster_watch_current":                "1 while this node's watcher of the bucket has delivered every change the bucket has (probed every second), 0 while it is behind, being recreated, or not started.",
	"relay_cluster_watch_restarts_total":         "Watchers of the bucket this node recreated: it ended, the connection came back, or it stalled behind the bucket.",
	"relay_cluster_state_loaded":                 "1 once this node has read the shared customer state; until then it enforces its file and its own changes only.",
}

type nodeMetrics struct {
	setupErrors, forwarded, copies, refused *metrics.Counter
	unreadable, applyErrors                 *metrics.Counter
	outcomes                                map[store.Outcome]*metrics.Counter
	refs                                    refMetrics
}

type refMetrics struct {
	claimed, own, elsewhere, pending, unavailable, kept, settleErrors *metrics.Counter
}

var outcomes = []store.Outcome{store.OutcomeApplied, store.OutcomeDuplicate,
	store.OutcomeParked, store.OutcomeLate, store.OutcomeInterim}

func newNodeMetrics(set *metrics.Set, n *Node) *nodeMetrics {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	set.NewGauge(`relay_cluster_connected`, func() float64 { return b2f(n.nc.IsConnected()) })
	set.NewGauge(`relay_cluster_stream_ready`, func() float64 { return b2f(n.Ready()) })
	if n.srv != nil {
		set.NewGauge(`relay_cluster_routes`, func() float64 { return float64(n.srv.NumRoutes()) })
	}
	m := &nodeMetrics{
		setupErrors: set.NewCounter(`relay_cluster_setup_errors_total`),
		forwarded:   set.NewCounter(`relay_cluster_receipts_forwarded_total{copy="no"}`),
		copies:      set.NewCounter(`relay_cluster_receipts_forwarded_total{copy="yes"}`),
		refused:     set.NewCounter(`relay_cluster_receipts_refused_total`),
		unreadable:  set.NewCounter(`relay_cluster_receipts_unreadable_total`),
		applyErrors: set.NewCounter(`relay_cluster_apply_errors_total`),
		outcomes:    map[store.Outcome]*metrics.Counter{},
		refs: refMetrics{
			claimed:      set.NewCounter(`relay_cluster_refs_total{result="claimed"}`),
			own:          set.NewCounter(`relay_cluster_refs_total{result="own"}`),
			elsewhere:    set.NewCounter(`relay_cluster_refs_total{result="elsewhere"}`),
			pending:      set.NewCounter(`relay_cluster_refs_total{result="pending"}`),
			unavailable:  set.NewCounter(`relay_cluster_refs_total{result="unavailable"}`),
			kept:         set.NewCounter(`relay_cluster_refs_total{result="kept"}`),
			settleErrors: set.NewCounter(`relay_cluster_ref_settle_errors_total`),
		},
	}
	for _, o := range outcomes {
		m.outcomes[o] = set.NewCounter(fmt.Sprintf(`relay_cluster_receipts_read_total{outcome=%q}`, o))
	}
	return m
}

// read is how many receipts the node read from the stream and applied.
func (m *nodeMetrics) read() uint64 {
	var n uint64
	for _, c := range m.outcomes {
		n += c.Get()
	}
	return n
}

func (m *nodeMetrics) outcome(o store.Outcome) {
	if c := m.outcomes[o]; c != nil {
		c.Inc()
	}
}
