package relay

import (
	"fmt"
	"strconv"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// relayMetrics are the daemon's own counters; the store, the door, the
// upstream server and each SMPP session register theirs in the same set.
// Every series is created here, at start-up, with its labels in the name.
type relayMetrics struct {
	set *metrics.Set

	accepted          map[message.Product]*metrics.Counter
	duplicates        *metrics.Counter
	storeUnavailable  *metrics.Counter
	failedAtSend      *metrics.Counter
	expired           *metrics.Counter
	storeErrors       *metrics.Counter
	mo                *metrics.Counter
	receiptUnreadable *metrics.Counter
	acceptSec         *metrics.Histogram // a batch of submits made durable

	submits   map[string]map[verdict]*metrics.Counter
	submitSec map[string]*metrics.Histogram
	receipts  map[string]map[store.Outcome]*metrics.Counter
}

var verdictNames = map[verdict]string{
	verdictSent: "sent", verdictRetry: "retry", verdictBusy: "throttled", verdictReroute: "reroute",
	verdictFail: "failed", verdictAbandoned: "abandoned",
}

var outcomeList = []store.Outcome{store.OutcomeApplied, store.OutcomeDuplicate,
	store.OutcomeParked, store.OutcomeLate, store.OutcomeInterim}

func newRelayMetrics(set *metrics.Set, carriers []string) *relayMetrics {
	m := &relayMetrics{
		set:               set,
		accepted:          map[message.Product]*metrics.Counter{},
		duplicates:        set.NewCounter(`relay_accepted_duplicates_total`),
		storeUnavailable:  set.NewCounter(`relay_refused_store_unavailable_total`),
		failedAtSend:      set.NewCounter(`relay_failed_at_send_total`),
		expired:           set.NewCounter(`relay_expired_total`),
		storeErrors:       set.NewCounter(`relay_store_errors_total`),
		mo:                set.NewCounter(`relay_mo_messages_total`),
		receiptUnreadable: set.NewCounter(`relay_receipts_unreadable_total`),
		acceptSec:         set.NewHistogram(`relay_accept_store_seconds`),
		submits:           map[string]map[verdict]*metrics.Counter{},
		submitSec:         map[string]*metrics.Histogram{},
		receipts:          map[string]map[store.Outcome]*metrics.Counter{},
	}
	for _, p := range message.Products {
		m.accepted[p] = set.NewCounter(fmt.Sprintf(`relay_accepted_total{product=%q}`, p))
	}
	for _, c := range carriers {
		m.submits[c] = map[verdict]*metrics.Counter{}
		for v, n := range verdictNames {
			m.submits[c][v] = set.NewCounter(fmt.Sprintf(`relay_submits_total{carrier=%q,result=%q}`, c, n))
		}
		m.submitSec[c] = set.NewHistogram(fmt.Sprintf(`relay_submit_seconds{carrier=%q}`, c))
		m.receipts[c] = map[store.Outcome]*metrics.Counter{}
		for _, o := range outcomeList {
			m.receipts[c][o] = set.NewCounter(fmt.Sprintf(`relay_receipts_total{carrier=%q,outcome=%q}`, c, o))
		}
	}
	return m
}

func (m *relayMetrics) submit(carrier string, v verdict, took time.Duration) {
	if c := m.submits[carrier][v]; c != nil {
		c.Inc()
	}
	if v == verdictSent {
		m.submitSec[carrier].Update(took.Seconds())
	}
}

func (m *relayMetrics) receipt(carrier string, o store.Outcome) {
	if c := m.receipts[carrier][o]; c != nil {
		c.Inc()
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
