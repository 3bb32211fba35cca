package smpp

import (
	"fmt"
	"sync"

	"github.com/VictoriaMetrics/metrics"
	"github.com/msgrelay/relay/smpp/pdu"
)

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_smpp_bind_up":                         "1 while the bind is bound, 0 otherwise.",
	"relay_smpp_binds_total":                     "Successful binds (the first and every rebind).",
	"relay_smpp_bind_drops_total":                "Bound connections lost.",
	"relay_smpp_bind_failures_total":             "Bind attempts that failed (refused, unreachable, timed out).",
	"relay_smpp_dead_peer_total":                 "Connections closed because enquire_link went unanswered.",
	"relay_smpp_throttled_total":                 "Submits answered ESME_RTHROTTLED.",
	"relay_smpp_malformed_pdus_total":            "PDUs from the SMSC that did not decode.",
	"relay_smpp_unmatched_responses_total":       "Responses whose sequence number matched no request in the window (late or unknown).",
	"relay_smpp_deliver_sm_total":                "deliver_sm PDUs received (receipts and mobile-originated messages).",
	"relay_smpp_deliver_sm_handler_errors_total": "deliver_sm PDUs the relay could not record, answered with an error for the SMSC to retry.",
	"relay_smpp_deliver_sm_refused_busy_total":   "deliver_sm PDUs refused because the handler queue was full.",
	"relay_smpp_response_seconds":                "Time from writing a submit_sm to reading its response.",
	"relay_smpp_submits_total":                   "submit_sm responses by command status.",
	"relay_smpp_window_used":                     "Submits written and not yet answered on the bind.",
}

// responseBuckets span a local SMSC's milliseconds to the response timeout.
var responseBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// gaugeMu makes a bind's taking over of its gauges (unregister, then
// register) one step for sessions made at the same time.
var gaugeMu sync.Mutex

// bindMetrics are one bind's metrics, created when the bind is made and
// labelled carrier and bind.
type bindMetrics struct {
	set    *metrics.Set
	labels string

	binds       *metrics.Counter // successful binds
	drops       *metrics.Counter // bound sockets lost
	bindFail    *metrics.Counter
	deadPeer    *metrics.Counter
	throttled   *metrics.Counter
	malformed   *metrics.Counter
	late        *metrics.Counter
	delivered   *metrics.Counter
	deliverErr  *metrics.Counter
	deliverBusy *metrics.Counter
	latency     *metrics.PrometheusHistogram
	submitOK    *metrics.Counter

	mu struct {
		sync.Mutex
		byStatus map[pdu.Status]*metrics.Counter
	}
}

func newBindMetrics(set *metrics.Set, carrier, name string, b *bind) *bindMetrics {
	l := fmt.Sprintf(`carrier=%q,bind=%q`, carrier, name)
	m := &bindMetrics{set: set, labels: l}
	// The gauges read this bind: a session made again under the same
	// carrier and bind name (the carrier changed by a reload) takes the
	// series over from the one it replaces, whose close then changes
	// nothing. The counters carry on.
	gauge := func(name string, f func() float64) {
		gaugeMu.Lock()
		defer gaugeMu.Unlock()
		set.UnregisterMetric(name)
		set.NewGauge(name, f)
	}
	gauge(`relay_smpp_bind_up{`+l+`}`, func() float64 {
		if c, _ := b.current(); c != nil {
			return 1
		}
		return 0
	})
	m.binds = set.GetOrCreateCounter(`relay_smpp_binds_total{` + l + `}`)
	m.drops = set.GetOrCreateCounter(`relay_smpp_bind_drops_total{` + l + `}`)
	m.bindFail = set.GetOrCreateCounter(`relay_smpp_bind_failures_total{` + l + `}`)
	m.deadPeer = set.GetOrCreateCounter(`relay_smpp_dead_peer_total{` + l + `}`)
	m.throttled = set.GetOrCreateCounter(`relay_smpp_throttled_total{` + l + `}`)
	m.malformed = set.GetOrCreateCounter(`relay_smpp_malformed_pdus_total{` + l + `}`)
	m.late = set.GetOrCreateCounter(`relay_smpp_unmatched_responses_total{` + l + `}`)
	m.delivered = set.GetOrCreateCounter(`relay_smpp_deliver_sm_total{` + l + `}`)
	m.deliverErr = set.GetOrCreateCounter(`relay_smpp_deliver_sm_handler_errors_total{` + l + `}`)
	m.deliverBusy = set.GetOrCreateCounter(`relay_smpp_deliver_sm_refused_busy_total{` + l + `}`)
	m.latency = set.GetOrCreatePrometheusHistogramExt(`relay_smpp_response_seconds{`+l+`}`, responseBuckets)
	m.submitOK = set.GetOrCreateCounter(`relay_smpp_submits_total{` + l + `,status="ESME_ROK"}`)
	gauge(`relay_smpp_window_used{`+l+`}`, func() float64 { return float64(len(b.win)) })
	m.mu.byStatus = make(map[pdu.Status]*metrics.Counter)
	return m
}

// submitted counts one submit answer by status.
func (m *bindMetrics) submitted(st pdu.Status) {
	if st == pdu.StatusOK {
		m.submitOK.Inc()
		return
	}
	m.mu.Lock()
	c := m.mu.byStatus[st]
	if c == nil {
		// Failing statuses are few and rare: one counter each, made on first sight.
		c = m.set.GetOrCreateCounter(fmt.Sprintf(`relay_smpp_submits_total{%s,status=%q}`, m.labels, st.String()))
		m.mu.byStatus[st] = c
	}
	m.mu.Unlock()
	c.Inc()
}
