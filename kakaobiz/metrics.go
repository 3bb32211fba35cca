package kakaobiz

import (
	"fmt"
	"io"
	"sync"

	"github.com/VictoriaMetrics/metrics"
)

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_kakao_requests_total":           "HTTP attempts to the BizMessage API by what the answer asked for (delivered, fallback, fallback_alert, wait, retry, fail, or error when there was no answer).",
	"relay_kakao_codes_total":              "HTTP attempts to the BizMessage API by the code that decided them: Kakao's code, http NNN, timeout, connection, garbage, or unknown for a code the policy table lacks.",
	"relay_kakao_messages_total":           "Sends and lookups by their final answer, after retries.",
	"relay_kakao_request_duration_seconds": "Time from sending an HTTP request to the BizMessage API to reading its answer.",
	"relay_kakao_inflight_requests":        "HTTP requests to the BizMessage API sent and not yet answered.",
	"relay_kakao_queued_calls":             "Calls waiting for a free connection to the BizMessage API.",
	"relay_kakao_token_refreshes_total":    "OAuth token requests made.",
	"relay_kakao_token_failures_total":     "OAuth token requests that failed; while the token is bad no Kakao message goes out.",
	"relay_kakao_operator_alerts_total":    "Answers that mean the relay's own configuration is wrong (sender key, template, credentials).",
	"relay_kakao_retries_total":            "HTTP attempts repeated after a transient failure.",
	"relay_kakao_duplicates_total":         "Sends the API answered as duplicates of one already accepted.",
}

// requestBuckets span a fast answer to the longest request timeout.
var requestBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// clientMetrics are created once per client, at construction, in the
// client's own set; whoever exports the client's metrics writes them with
// Client.WritePrometheus.
type clientMetrics struct {
	set            *metrics.Set
	results        [len(actionNames)]*metrics.Counter // by Action, per HTTP attempt
	final          [len(actionNames)]*metrics.Counter // by Action, per Send/Lookup
	latency        *metrics.PrometheusHistogram
	tokenRefreshes *metrics.Counter
	tokenFailures  *metrics.Counter
	operatorAlerts *metrics.Counter
	retries        *metrics.Counter
	duplicates     *metrics.Counter

	mu struct {
		sync.Mutex
		byCode map[string]*metrics.Counter
	}
}

func newClientMetrics(c *Client) *clientMetrics {
	name := c.cfg.Name
	s := metrics.NewSet()
	m := &clientMetrics{set: s}
	for a := range actionNames {
		res := actionNames[a]
		if a == 0 {
			res = "error"
		}
		m.results[a] = s.NewCounter(fmt.Sprintf(`relay_kakao_requests_total{client=%q,result=%q}`, name, res))
		m.final[a] = s.NewCounter(fmt.Sprintf(`relay_kakao_messages_total{client=%q,result=%q}`, name, res))
	}
	m.latency = s.NewPrometheusHistogramExt(fmt.Sprintf(`relay_kakao_request_duration_seconds{client=%q}`, name), requestBuckets)
	s.NewGauge(fmt.Sprintf(`relay_kakao_inflight_requests{client=%q}`, name), func() float64 {
		return float64(c.inflight.Load())
	})
	s.NewGauge(fmt.Sprintf(`relay_kakao_queued_calls{client=%q}`, name), func() float64 {
		return float64(c.waiting.Load())
	})
	m.tokenRefreshes = s.NewCounter(fmt.Sprintf(`relay_kakao_token_refreshes_total{client=%q}`, name))
	m.tokenFailures = s.NewCounter(fmt.Sprintf(`relay_kakao_token_failures_total{client=%q}`, name))
	m.operatorAlerts = s.NewCounter(fmt.Sprintf(`relay_kakao_operator_alerts_total{client=%q}`, name))
	m.retries = s.NewCounter(fmt.Sprintf(`relay_kakao_retries_total{client=%q}`, name))
	m.duplicates = s.NewCounter(fmt.Sprintf(`relay_kakao_duplicates_total{client=%q}`, name))
	return m
}

// code counts one HTTP attempt by the code that decided it. Codes come from
// the peer: one the policy table does not know counts as "unknown", so a
// misbehaving server cannot grow the series without bound.
func (m *clientMetrics) code(name string, d Decision) {
	code := d.Code
	if d.Reason == unknownReason {
		code = "unknown"
	}
	m.mu.Lock()
	c := m.mu.byCode[code]
	if c == nil {
		if m.mu.byCode == nil {
			m.mu.byCode = make(map[string]*metrics.Counter)
		}
		c = m.set.GetOrCreateCounter(fmt.Sprintf(`relay_kakao_codes_total{client=%q,code=%q}`, name, code))
		m.mu.byCode[code] = c
	}
	m.mu.Unlock()
	c.Inc()
}

// WritePrometheus writes this client's metrics in Prometheus text format.
func (c *Client) WritePrometheus(w io.Writer) { c.m.set.WritePrometheus(w) }

// OperatorAlerts is how many answers so far were our own configuration bugs.
func (c *Client) OperatorAlerts() uint64 { return c.m.operatorAlerts.Get() }

// TokenRefreshes is how many token requests this client made.
func (c *Client) TokenRefreshes() uint64 { return c.m.tokenRefreshes.Get() }
