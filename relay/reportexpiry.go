package relay

import (
	"context"
	"log/slog"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// reportExpiryEvery is how often the outbox is scanned for reports past
// store.ReportKeep: reports are kept 48 hours, so a minute late is nothing.
const reportExpiryEvery = time.Minute

// reportDoors are the doors a report leaves by, as the metric names them.
var reportDoors = [...]string{"upstream", "smpp", "webhook"}

var reportsHelp = map[string]string{
	"relay_reports_expired_total": "Final reports dropped from the outbox unacknowledged, 48 hours after their message's final result, by the door that was to take them (upstream, smpp, webhook).",
}

// reportExpiry drops, for every door at once, the reports nobody took
// within store.ReportKeep of their final result, and counts them.
type reportExpiry struct {
	st        *store.Store
	now       func() time.Time
	byWebhook func(customer string) bool
	expired   map[string]*metrics.Counter // by door
}

func newReportExpiry(st *store.Store, now func() time.Time, byWebhook func(string) bool, set *metrics.Set) *reportExpiry {
	e := &reportExpiry{st: st, now: now, byWebhook: byWebhook, expired: map[string]*metrics.Counter{}}
	for _, door := range reportDoors {
		e.expired[door] = set.NewCounter(`relay_reports_expired_total{door="` + door + `"}`)
	}
	return e
}

// door is where a customer's report of a message from ingress in goes.
func (e *reportExpiry) door(customer string, in message.Ingress) string {
	if e.byWebhook(customer) {
		return "webhook"
	}
	return in.ReportDoor().String()
}

// run scans every reportExpiryEvery until ctx ends.
func (e *reportExpiry) run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(reportExpiryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.scan(ctx); err != nil && ctx.Err() == nil {
				log.Error("relay: dropping expired reports", "err", err)
			}
		}
	}
}

// scan runs one scan and returns how many reports it dropped.
func (e *reportExpiry) scan(ctx context.Context) (int, error) {
	got, err := e.st.ExpireReports(ctx, e.now(), store.ReportKeep)
	n := 0
	for _, g := range got {
		e.expired[e.door(g.Customer, g.Ingress)].Add(g.Count)
		n += g.Count
	}
	return n, err
}

// Expired is how many reports were dropped unread, by door.
func (e *reportExpiry) Expired() map[string]uint64 {
	out := make(map[string]uint64, len(e.expired))
	for door, c := range e.expired {
		out[door] = c.Get()
	}
	return out
}

// ExpireReportsNow drops the reports nobody took within 48 hours of their
// final result, as the periodic scan does, and returns how many.
func (d *Daemon) ExpireReportsNow(ctx context.Context) int {
	n, err := d.reportExpiry.scan(ctx)
	if err != nil {
		d.log.Error("relay: dropping expired reports", "err", err)
	}
	return n
}
