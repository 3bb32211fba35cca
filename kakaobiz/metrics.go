package kakaobiz

import (
	"fmt"
	"io"

	"github.com/VictoriaMetrics/metrics"
)

// clientMetrics are created once per client, at construction, in the
// client's own set, registered globally until Close.
type clientMetrics struct {
	set            *metrics.Set
	results        [len(actionNames)]*metrics.Counter // by Action, per HTTP attempt
	final          [len(actionNames)]*metrics.Counter // by Action, per Send/Lookup
	latency        *metrics.Histogram
	tokenRefreshes *metrics.Counter
	tokenFailures  *metrics.Counter
	operatorAlerts *metrics.Counter
	retries        *metrics.Counter
	duplicates     *metrics.Counter
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
	m.latency = s.NewHistogram(fmt.Sprintf(`relay_kakao_request_duration_seconds{client=%q}`, name))
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
	metrics.RegisterSet(s)
	return m
}

// WritePrometheus writes this client's metrics in Prometheus text format.
func (c *Client) WritePrometheus(w io.Writer) { c.m.set.WritePrometheus(w) }

// OperatorAlerts is how many answers so far were our own configuration bugs.
func (c *Client) OperatorAlerts() uint64 { return c.m.operatorAlerts.Get() }

// TokenRefreshes is how many token requests this client made.
func (c *Client) TokenRefreshes() uint64 { return c.m.tokenRefreshes.Get() }
