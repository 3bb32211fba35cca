package relay

import (
	"context"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// reportSource is one upstream connection's view of its customer's outbox.
type reportSource struct {
	st       *store.Store
	customer string
	wake     <-chan struct{}
	stop     func()
}

var _ upstream.ReportSource = (*reportSource)(nil)

func (s *reportSource) Notify() <-chan struct{} { return s.wake }

// Next returns the reports whose door is the upstream protocol
// (message.Ingress.ReportDoor: those of its own messages and the HTTP
// API's); those of SMPP messages are left in the outbox for the
// customer's SMPP binds, which alone send them (as deliver_sm). It reads
// on past the ones it leaves until it has limit reports or the outbox
// ends: fewer than limit tells the server there are no more now.
func (s *reportSource) Next(ctx context.Context, after uint64, limit int) ([]*upstreampb.Report, uint64, error) {
	var out []*upstreampb.Report
	readTo := after
	for len(out) < limit {
		want := limit - len(out)
		rs, err := s.st.Reports(s.customer, readTo, want)
		if err != nil {
			return nil, after, err
		}
		if len(rs) == 0 {
			break
		}
		if out == nil {
			out = make([]*upstreampb.Report, 0, len(rs))
		}
		for i := range rs {
			if rs[i].Ingress.ReportDoor() != message.IngressUpstream {
				continue
			}
			out = append(out, s.toPB(&rs[i]))
		}
		readTo = rs[len(rs)-1].Seq
		if len(rs) < want {
			break // the outbox ends here
		}
	}
	return out, readTo, nil
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

func (s *reportSource) Close() { s.stop() }
