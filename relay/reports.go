package relay

import (
	"context"
	"sync"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// reportHub wakes the connections that push status reports. The reports
// themselves live in the store's per-customer outbox until upstream
// acknowledges them; the hub only says "look again", and only to the
// connections of the customer the store named after a commit
// (store.Options.OnReports). A wake-up is a non-blocking send on a channel
// of capacity 1, so bursts coalesce.
type reportHub struct {
	mu struct {
		sync.Mutex
		subs map[string]map[*reportSource]struct{} // by customer
	}
}

func newReportHub() *reportHub {
	h := &reportHub{}
	h.mu.subs = map[string]map[*reportSource]struct{}{}
	return h
}

// wake tells the customer's connections that its outbox has new reports.
func (h *reportHub) wake(customer string) {
	h.mu.Lock()
	for s := range h.mu.subs[customer] {
		select {
		case s.ch <- struct{}{}:
		default:
		}
	}
	h.mu.Unlock()
}

func (h *reportHub) source(st *store.Store, customer string) *reportSource {
	s := &reportSource{hub: h, st: st, customer: customer, ch: make(chan struct{}, 1)}
	s.ch <- struct{}{} // look once at bind: the outbox may hold reports from before
	h.mu.Lock()
	if h.mu.subs[customer] == nil {
		h.mu.subs[customer] = map[*reportSource]struct{}{}
	}
	h.mu.subs[customer][s] = struct{}{}
	h.mu.Unlock()
	return s
}

// reportSource is one connection's view of its customer's outbox.
type reportSource struct {
	hub      *reportHub
	st       *store.Store
	customer string
	ch       chan struct{}
}

var _ upstream.ReportSource = (*reportSource)(nil)

func (s *reportSource) Notify() <-chan struct{} { return s.ch }

func (s *reportSource) Next(ctx context.Context, after uint64, limit int) ([]*upstreampb.Report, error) {
	rs, err := s.st.Reports(s.customer, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*upstreampb.Report, len(rs))
	for i := range rs {
		out[i] = s.toPB(&rs[i])
	}
	return out, nil
}

func (s *reportSource) toPB(r *store.Report) *upstreampb.Report {
	m := message.Message{
		ID: r.ID, ClientRef: r.ClientRef, Customer: s.customer, State: r.State, Result: r.Result,
		Billed: r.Billed, Product: r.Product, AcceptedAt: r.AcceptedAt, SentAt: r.SentAt, FinalAt: r.FinalAt,
	}
	if r.Product == message.ProductUnknown {
		// Written before reports carried product and times: read them from
		// the record, if it is still there.
		if rec, err := s.st.Get(r.ID); err == nil {
			m.Product, m.AcceptedAt, m.SentAt = rec.Product, rec.AcceptedAt, rec.SentAt
		}
	}
	if m.AcceptedAt.IsZero() {
		m.AcceptedAt = r.ID.Time() // ids are time-ordered
	}
	return upstream.NewReport(&m, r.Seq)
}

func (s *reportSource) Ack(ctx context.Context, seqs []uint64) error {
	return s.st.AckReports(ctx, s.customer, seqs...)
}

func (s *reportSource) Close() {
	s.hub.mu.Lock()
	delete(s.hub.mu.subs[s.customer], s)
	if len(s.hub.mu.subs[s.customer]) == 0 {
		delete(s.hub.mu.subs, s.customer)
	}
	s.hub.mu.Unlock()
}
