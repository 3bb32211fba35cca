package dispatch

import (
	"fmt"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/store"
)

// dispatchMetrics are the dispatcher's counters; each SMPP session and the
// Kakao client register theirs in the same set. Every series is created
// here, at construction, with its labels in the name; a reconfiguration
// makes them again for its carriers, which gets the same series for the
// carriers it keeps.
type dispatchMetrics struct {
	failedAtSend      *metrics.Counter
	expired           *metrics.Counter
	storeErrors       *metrics.Counter
	mo                *metrics.Counter
	receiptUnreadable *metrics.Counter

	submits   map[string]map[verdict]*metrics.Counter
	submitSec map[string]*metrics.PrometheusHistogram
	receipts  map[string]map[store.Outcome]*metrics.Counter
	// receiptInvalid counts, by carrier, receipts acknowledged and dropped
	// because the store can never keep them.
	receiptInvalid map[string]*metrics.Counter
}

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_failed_at_send_total":      "Messages failed by the relay at send time (no route, attempts used up, validity over).",
	"relay_expired_total":             "Messages expired by the relay's expiry scan without a final result.",
	"relay_store_errors_total":        "Store writes the dispatcher or correlator could not make.",
	"relay_mo_messages_total":         "Mobile-originated messages received from carriers.",
	"relay_receipts_unreadable_total": "Delivery receipts whose text could not be read; acknowledged and dropped.",
	"relay_receipts_invalid_total":    "Delivery receipts no message can take (no id, or an id longer than the store keeps), by carrier; acknowledged and dropped.",
	"relay_submits_total":             "Submit attempts to carriers, by carrier and what came of them.",
	"relay_submit_seconds":            "Time of a submit to a carrier, window wait included, for submits the carrier took.",
	"relay_receipts_total":            "Delivery receipts from carriers, by carrier and what the store did with them.",
	"relay_kakao_results_total":       "Kakao sends by what the relay did with their answer.",
	"relay_kakao_queue_depth":         "Kakao messages waiting to be sent, now or after a back-off.",
	"relay_kakao_awaiting_result":     "Kakao messages sent whose result is still to be looked up.",
	"relay_dispatch_queue_depth":      "SMS and LMS messages waiting for a carrier window.",
	"relay_dispatch_scheduled":        "Messages held until the send time their submitter scheduled.",
}

// submitBuckets: a submit waits for its carrier's response, up to the
// response timeout.
var submitBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

var verdictNames = map[verdict]string{
	verdictSent: "sent", verdictRetry: "retry", verdictBusy: "throttled", verdictReroute: "reroute",
	verdictFail: "failed", verdictAbandoned: "abandoned",
}

var outcomeList = []store.Outcome{store.OutcomeApplied, store.OutcomeDuplicate,
	store.OutcomeParked, store.OutcomeLate, store.OutcomeInterim, store.OutcomeUnmatched}

func newDispatchMetrics(set *metrics.Set, carriers []string) *dispatchMetrics {
	m := &dispatchMetrics{
		failedAtSend:      set.GetOrCreateCounter(`relay_failed_at_send_total`),
		expired:           set.GetOrCreateCounter(`relay_expired_total`),
		storeErrors:       set.GetOrCreateCounter(`relay_store_errors_total`),
		mo:                set.GetOrCreateCounter(`relay_mo_messages_total`),
		receiptUnreadable: set.GetOrCreateCounter(`relay_receipts_unreadable_total`),
		submits:           map[string]map[verdict]*metrics.Counter{},
		submitSec:         map[string]*metrics.PrometheusHistogram{},
		receipts:          map[string]map[store.Outcome]*metrics.Counter{},
		receiptInvalid:    map[string]*metrics.Counter{},
	}
	for _, c := range carriers {
		m.submits[c] = map[verdict]*metrics.Counter{}
		for v, n := range verdictNames {
			m.submits[c][v] = set.GetOrCreateCounter(fmt.Sprintf(`relay_submits_total{carrier=%q,result=%q}`, c, n))
		}
		m.submitSec[c] = set.GetOrCreatePrometheusHistogramExt(fmt.Sprintf(`relay_submit_seconds{carrier=%q}`, c), submitBuckets)
		m.receiptInvalid[c] = set.GetOrCreateCounter(fmt.Sprintf(`relay_receipts_invalid_total{carrier=%q}`, c))
		m.receipts[c] = map[store.Outcome]*metrics.Counter{}
		for _, o := range outcomeList {
			m.receipts[c][o] = set.GetOrCreateCounter(fmt.Sprintf(`relay_receipts_total{carrier=%q,outcome=%q}`, c, o))
		}
	}
	return m
}

func (m *dispatchMetrics) submit(carrier string, v verdict, took time.Duration) {
	if c := m.submits[carrier][v]; c != nil {
		c.Inc()
	}
	if v == verdictSent {
		m.submitSec[carrier].Update(took.Seconds())
	}
}

func (m *dispatchMetrics) receipt(carrier string, o store.Outcome) {
	if c := m.receipts[carrier][o]; c != nil {
		c.Inc()
	}
}
