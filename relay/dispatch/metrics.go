package dispatch

import (
	"fmt"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/store"
)

// dispatchMetrics are the dispatcher's counters that no carrier labels;
// each carrier has its own (carrierMetrics), and each SMPP session and the
// Kakao client register theirs in the same set. Every series is created
// at construction, with its labels in the name.
type dispatchMetrics struct {
	failedAtSend      *metrics.Counter
	expired           *metrics.Counter
	storeErrors       *metrics.Counter
	mo                *metrics.Counter
	receiptUnreadable *metrics.Counter
}

// carrierMetrics are one carrier's series, made with the carrier; a
// reconfiguration that makes a carrier again gets the same series.
type carrierMetrics struct {
	submits   [verdictAbandoned + 1]*metrics.Counter // by verdict; nil: not counted
	submitSec *metrics.PrometheusHistogram
	receipts  [store.OutcomeUnknown + 1]*metrics.Counter // by outcome; nil: not counted
	// receiptInvalid counts receipts acknowledged and dropped because the
	// store can never keep them.
	receiptInvalid *metrics.Counter
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
	"relay_dispatch_scheduled":        "Messages waiting in the store for the send time their submitter scheduled.",
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

func newDispatchMetrics(set *metrics.Set) *dispatchMetrics {
	return &dispatchMetrics{
		failedAtSend:      set.GetOrCreateCounter(`relay_failed_at_send_total`),
		expired:           set.GetOrCreateCounter(`relay_expired_total`),
		storeErrors:       set.GetOrCreateCounter(`relay_store_errors_total`),
		mo:                set.GetOrCreateCounter(`relay_mo_messages_total`),
		receiptUnreadable: set.GetOrCreateCounter(`relay_receipts_unreadable_total`),
	}
}

func newCarrierMetrics(set *metrics.Set, carrier string) *carrierMetrics {
	m := &carrierMetrics{
		submitSec:      set.GetOrCreatePrometheusHistogramExt(fmt.Sprintf(`relay_submit_seconds{carrier=%q}`, carrier), submitBuckets),
		receiptInvalid: set.GetOrCreateCounter(fmt.Sprintf(`relay_receipts_invalid_total{carrier=%q}`, carrier)),
	}
	for v, n := range verdictNames {
		m.submits[v] = set.GetOrCreateCounter(fmt.Sprintf(`relay_submits_total{carrier=%q,result=%q}`, carrier, n))
	}
	for _, o := range outcomeList {
		m.receipts[o] = set.GetOrCreateCounter(fmt.Sprintf(`relay_receipts_total{carrier=%q,outcome=%q}`, carrier, o))
	}
	return m
}

func (m *carrierMetrics) submit(v verdict, took time.Duration) {
	if int(v) < len(m.submits) && m.submits[v] != nil {
		m.submits[v].Inc()
	}
	if v == verdictSent {
		m.submitSec.Update(took.Seconds())
	}
}

func (m *carrierMetrics) receipt(o store.Outcome) {
	if int(o) < len(m.receipts) && m.receipts[o] != nil {
		m.receipts[o].Inc()
	}
}
