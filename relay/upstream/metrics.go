package upstream

import (
	"fmt"
	"strings"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_upstream_connections":               "Open upstream connections, bound or not.",
	"relay_upstream_connections_pending":       "Upstream connections not yet bound.",
	"relay_upstream_connections_refused_total": "Upstream connections closed at accept, by the rule (closing, pending_total, pending_per_source).",
	"relay_upstream_binds_total":               "Upstream bind requests by answer.",
	"relay_upstream_frames_in_total":           "Frames read from upstream connections.",
	"relay_upstream_frames_out_total":          "Frames written to upstream connections.",
	"relay_upstream_frame_errors_total":        "Upstream frames that did not decode; the connection is closed.",
	"relay_upstream_submits_in_flight":         "Submits read from upstream and not yet answered.",
	"relay_upstream_submits_total":             "Submits answered to upstream, accepted or refused.",
	"relay_upstream_reports_sent_total":        "Delivery reports written to upstream.",
	"relay_upstream_reports_acked_total":       "Delivery reports upstream acknowledged.",
}

// serverMetrics are created once per server, in the set the caller gives.
type serverMetrics struct {
	conns   *metrics.Gauge // open connections, bound or not
	pending *metrics.Gauge // connections not yet bound

	// Connections closed at accept, by the rule: server closing, pending
	// total, pending per source.
	refusedClosing, refusedPending, refusedPendingSource *metrics.Counter
	binds                                                map[upstreampb.Status]*metrics.Counter // by answer: ok, unauthenticated, throttled, ...
	framesIn                                             *metrics.Counter
	framesOut                                            *metrics.Counter
	frameErrors                                          *metrics.Counter
	inFlight                                             *metrics.Gauge // submits read and not yet answered
	submits                                              *metrics.Counter
	reportsOut                                           *metrics.Counter
	reportsAck                                           *metrics.Counter
}

func newServerMetrics(set *metrics.Set, name string) *serverMetrics {
	l := fmt.Sprintf(`{server=%q}`, name)
	m := &serverMetrics{
		conns:       set.NewGauge("relay_upstream_connections"+l, nil),
		pending:     set.NewGauge("relay_upstream_connections_pending"+l, nil),
		binds:       make(map[upstreampb.Status]*metrics.Counter),
		framesIn:    set.NewCounter("relay_upstream_frames_in_total" + l),
		framesOut:   set.NewCounter("relay_upstream_frames_out_total" + l),
		frameErrors: set.NewCounter("relay_upstream_frame_errors_total" + l),
		inFlight:    set.NewGauge("relay_upstream_submits_in_flight"+l, nil),
		submits:     set.NewCounter("relay_upstream_submits_total" + l),
		reportsOut:  set.NewCounter("relay_upstream_reports_sent_total" + l),
		reportsAck:  set.NewCounter("relay_upstream_reports_acked_total" + l),
	}
	refused := func(reason string) *metrics.Counter {
		return set.NewCounter(fmt.Sprintf(`relay_upstream_connections_refused_total{server=%q,reason=%q}`, name, reason))
	}
	m.refusedClosing = refused("closing")
	m.refusedPending = refused("pending_total")
	m.refusedPendingSource = refused("pending_per_source")
	for st := range upstreampb.Status_name {
		if st == 0 {
			continue
		}
		status := upstreampb.Status(st)
		m.binds[status] = set.NewCounter(fmt.Sprintf(`relay_upstream_binds_total{server=%q,result=%q}`,
			name, strings.ToLower(status.String())))
	}
	return m
}

// bind counts a bind answered with st.
func (m *serverMetrics) bind(st upstreampb.Status) {
	if c := m.binds[st]; c != nil {
		c.Inc()
	}
}
