package store

import (
	"fmt"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/message"
)

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_store_accepted_total":            "Messages made durable at acceptance.",
	"relay_store_accept_duplicates_total":   "Submits answered with the message already stored under the same client reference.",
	"relay_store_transitions_total":         "State changes written.",
	"relay_store_illegal_transitions_total": "State changes refused as not allowed by the message lifecycle (a bug when it grows).",
	"relay_store_billed_total":              "Messages billed (delivered), by the product billed.",
	"relay_store_finals_total":              "Messages that reached a final state, by product and state.",
	"relay_store_result_seconds":            "Time from acceptance to the final result, by product.",
	"relay_store_expired_total":             "Messages expired without a result.",
	"relay_store_receipts_total":            "Delivery receipts by what the store did with them: applied, duplicate, late, interim, parked (arrived before their submit_sm_resp); dropped (parked past the wait, no message took the id); unmatched (not the receipt of the message holding its id or later taking it: it arrived before that message's submit_sm was written, or its dates put its submit elsewhere).",
	"relay_store_purged_records_total":      "Personal data purged from records past their retention.",
	"relay_store_commit_errors_total":       "Write groups that failed to commit; the writes are refused.",
	"relay_store_commits_total":             "Write groups committed with one fsync.",
	"relay_store_committed_entries_total":   "Pebble entries (sets and deletions) written by committed groups.",
	"relay_store_committed_bytes_total":     "Bytes of the Pebble batches committed (what the write-ahead log and the memtable take in).",
	"relay_store_commit_gathers_total":      "Times a busy group waited to gather more writes before its commit.",
	"relay_store_commit_group_writes":       "Writes per committed group.",
	"relay_store_commit_seconds":            "Time to commit one write group, fsync included.",
	"relay_store_recovered_open_total":      "Open messages found at start-up.",
	"relay_store_recovery_seconds_total":    "Time spent recovering open messages at start-up.",
}

// Buckets of the store's histograms: a commit is an fsync (tenths of a
// millisecond on NVMe, tens on a busy disk); a group holds up to thousands
// of writes; a result comes within seconds or, at worst, the 48 hours.
var (
	commitBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	groupBuckets  = metrics.ExponentialBuckets(1, 2, 14)
	resultBuckets = []float64{1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 48 * 3600}
)

// storeMetrics are created once per Store, at Open.
type storeMetrics struct {
	accepted      *metrics.Counter
	acceptDup     *metrics.Counter
	transitions   *metrics.Counter
	illegal       *metrics.Counter
	billed        [message.ProductAuto]*metrics.Counter    // by product billed
	finals        [message.ProductAuto][3]*metrics.Counter // by product and final state (finalIndex)
	resultSeconds [message.ProductAuto]*metrics.PrometheusHistogram
	expired       *metrics.Counter
	rcptApplied   *metrics.Counter
	rcptDuplicate *metrics.Counter
	rcptParked    *metrics.Counter
	rcptLate      *metrics.Counter
	rcptInterim   *metrics.Counter
	parkedDropped *metrics.Counter
	rcptUnmatched *metrics.Counter
	purged        *metrics.Counter
	commitErrors  *metrics.Counter
	commits       *metrics.Counter
	entries       *metrics.Counter
	bytes         *metrics.Counter
	gathered      *metrics.Counter
	groupSize     *metrics.PrometheusHistogram
	commitSeconds *metrics.PrometheusHistogram
	recoverOpen   *metrics.Counter
	recoverSecs   *metrics.FloatCounter
}

func newStoreMetrics(set *metrics.Set) *storeMetrics {
	m := &storeMetrics{
		accepted:      set.NewCounter(`relay_store_accepted_total`),
		acceptDup:     set.NewCounter(`relay_store_accept_duplicates_total`),
		transitions:   set.NewCounter(`relay_store_transitions_total`),
		illegal:       set.NewCounter(`relay_store_illegal_transitions_total`),
		expired:       set.NewCounter(`relay_store_expired_total`),
		rcptApplied:   set.NewCounter(`relay_store_receipts_total{outcome="applied"}`),
		rcptDuplicate: set.NewCounter(`relay_store_receipts_total{outcome="duplicate"}`),
		rcptParked:    set.NewCounter(`relay_store_receipts_total{outcome="parked"}`),
		rcptLate:      set.NewCounter(`relay_store_receipts_total{outcome="late"}`),
		rcptInterim:   set.NewCounter(`relay_store_receipts_total{outcome="interim"}`),
		parkedDropped: set.NewCounter(`relay_store_receipts_total{outcome="dropped"}`),
		rcptUnmatched: set.NewCounter(`relay_store_receipts_total{outcome="unmatched"}`),
		purged:        set.NewCounter(`relay_store_purged_records_total`),
		commitErrors:  set.NewCounter(`relay_store_commit_errors_total`),
		commits:       set.NewCounter(`relay_store_commits_total`),
		entries:       set.NewCounter(`relay_store_committed_entries_total`),
		bytes:         set.NewCounter(`relay_store_committed_bytes_total`),
		gathered:      set.NewCounter(`relay_store_commit_gathers_total`),
		groupSize:     set.NewPrometheusHistogramExt(`relay_store_commit_group_writes`, groupBuckets),
		commitSeconds: set.NewPrometheusHistogramExt(`relay_store_commit_seconds`, commitBuckets),
		recoverOpen:   set.NewCounter(`relay_store_recovered_open_total`),
		recoverSecs:   set.NewFloatCounter(`relay_store_recovery_seconds_total`),
	}
	for _, p := range message.Products {
		m.billed[p] = set.NewCounter(fmt.Sprintf(`relay_store_billed_total{product=%q}`, p))
		for i, st := range finalStates {
			m.finals[p][i] = set.NewCounter(fmt.Sprintf(`relay_store_finals_total{product=%q,state=%q}`, p, st))
		}
		m.resultSeconds[p] = set.NewPrometheusHistogramExt(fmt.Sprintf(`relay_store_result_seconds{product=%q}`, p), resultBuckets)
	}
	return m
}

var finalStates = [3]message.State{message.StateDelivered, message.StateFailed, message.StateExpired}

// final counts a message that reached its final state at now.
func (m *storeMetrics) final(msg *message.Message, now time.Time) {
	p := msg.Product
	if p == message.ProductUnknown || p >= message.ProductAuto {
		return
	}
	for i, st := range finalStates {
		if st == msg.State {
			m.finals[p][i].Inc()
		}
	}
	if b := msg.Billed; msg.State == message.StateDelivered && b != message.ProductUnknown && b < message.ProductAuto {
		m.billed[msg.Billed].Inc()
	}
	if !msg.AcceptedAt.IsZero() {
		m.resultSeconds[p].Update(now.Sub(msg.AcceptedAt).Seconds())
	}
}
