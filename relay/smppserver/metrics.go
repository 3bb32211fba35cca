package smppserver

import (
	"github.com/VictoriaMetrics/metrics"
	"github.com/msgrelay/relay/smpp/pdu"
)

type serverMetrics struct {
	refusedClosing, refusedPending *metrics.Counter
	refusedPendingSource           *metrics.Counter
	bindOK, bindRefused            *metrics.Counter
	submitOK, submitRefused        *metrics.Counter
	receiptSent, receiptAcked      *metrics.Counter
	receiptRefused, receiptGiveUp  *metrics.Counter
	receiptNotAsked                *metrics.Counter
	partsExpired                   *metrics.Counter
}

// newServerMetrics registers the server's metrics in set, once.
func newServerMetrics(set *metrics.Set, parts *assembler) *serverMetrics {
	c := func(name string) *metrics.Counter { return set.GetOrCreateCounter(name) }
	set.GetOrCreateGauge(`relay_smpp_server_parts_waiting`, func() float64 { return float64(parts.waiting()) })
	return &serverMetrics{
		refusedClosing:       c(`relay_smpp_server_conns_refused_total{reason="closing"}`),
		refusedPending:       c(`relay_smpp_server_conns_refused_total{reason="pending"}`),
		refusedPendingSource: c(`relay_smpp_server_conns_refused_total{reason="pending_source"}`),
		bindOK:               c(`relay_smpp_server_binds_total{result="ok"}`),
		bindRefused:          c(`relay_smpp_server_binds_total{result="refused"}`),
		submitOK:             c(`relay_smpp_server_submits_total{result="accepted"}`),
		submitRefused:        c(`relay_smpp_server_submits_total{result="refused"}`),
		receiptSent:          c(`relay_smpp_server_receipts_total{result="sent"}`),
		receiptAcked:         c(`relay_smpp_server_receipts_total{result="acked"}`),
		receiptRefused:       c(`relay_smpp_server_receipts_total{result="refused"}`),
		receiptGiveUp:        c(`relay_smpp_server_receipts_total{result="given_up"}`),
		receiptNotAsked:      c(`relay_smpp_server_receipts_total{result="not_asked"}`),
		partsExpired:         c(`relay_smpp_server_parts_expired_total`),
	}
}

func (m *serverMetrics) submit(st pdu.Status) {
	if st == pdu.StatusOK {
		m.submitOK.Inc()
	} else {
		m.submitRefused.Inc()
	}
}
