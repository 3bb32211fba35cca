package relay

import (
	"context"
	"time"

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

	// What the last Next returned, reused by the next: the server encodes
	// the reports before it reads again, and keeps none of them.
	keep []store.Report
	pbs  []upstreampb.Report
	out  []*upstreampb.Report
}

var _ upstream.ReportSource = (*reportSource)(nil)

func (s *reportSource) Notify() <-chan struct{} { return s.wake }

// Next returns the reports whose door is the upstream protocol
// (message.Ingress.ReportDoor: those of its own messages and the HTTP
// API's); those of SMPP messages are left in the outbox for the
// customer's SMPP binds, which alone send them (as deliver_sm). It reads
// on past the ones it leaves until it has limit reports or the outbox
// ends: fewer than limit tells the server there are no more now. The
// reports are valid until the next call.
func (s *reportSource) Next(ctx context.Context, after uint64, limit int) ([]*upstreampb.Report, uint64, error) {
	keep := s.keep[:0]
	readTo := after
	for len(keep) < limit {
		want := limit - len(keep)
		rs, err := s.st.Reports(s.customer, readTo, want)
		if err != nil {
			return nil, after, err
		}
		if len(rs) == 0 {
			break
		}
		for i := range rs {
			if rs[i].Ingress.ReportDoor() == message.IngressUpstream {
				keep = append(keep, rs[i])
			}
		}
		readTo = rs[len(rs)-1].Seq
		if len(rs) < want {
			break // the outbox ends here
		}
	}
	s.keep = keep
	if len(keep) == 0 {
		return nil, readTo, nil
	}
	if cap(s.pbs) < len(keep) {
		s.pbs = make([]upstreampb.Report, len(keep))
	}
	pbs, out := s.pbs[:len(keep)], s.out[:0]
	// Every message id of the read in one string.
	hex := make([]byte, 0, 16*len(keep))
	for i := range keep {
		hex = keep[i].ID.AppendHex(hex)
	}
	ids := string(hex)
	for i := range keep {
		r := &pbs[i]
		s.toPB(r, &keep[i], ids[16*i:16*i+16])
		out = append(out, r)
	}
	clear(keep) // the strings go with the frames
	s.out = out
	return out, readTo, nil
}

// toPB writes the outbox's report rp into r in the wire's terms, with id
// its message id's hex form.
func (s *reportSource) toPB(r *upstreampb.Report, rp *store.Report, id string) {
	product, acceptedAt, sentAt := rp.Product, rp.AcceptedAt, rp.SentAt
	if product == message.ProductUnknown {
		// Written before reports carried product and times: read them from
		// the record, if it is still there.
		if rec, err := s.st.Get(rp.ID); err == nil {
			product, acceptedAt, sentAt = rec.Product, rec.AcceptedAt, rec.SentAt
		}
	}
	if acceptedAt.IsZero() {
		acceptedAt = rp.ID.Time() // ids are time-ordered
	}
	r.Reset()
	r.ReportSeq = rp.Seq
	r.MessageId = id
	r.ClientRef = rp.ClientRef
	r.Customer = s.customer
	r.State = upstream.FinalStateToPB(rp.State)
	r.ResultSource = upstreampb.ResultSource(rp.Result.Source)
	r.ResultCode = rp.Result.Code
	r.ResultReason = rp.Result.Reason
	r.Billed = upstream.ProductToPB(rp.Billed)
	r.AcceptedAtMs = unixMilli(acceptedAt)
	r.SentAtMs = unixMilli(sentAt)
	r.FinalAtMs = unixMilli(rp.FinalAt)
	r.Product = upstream.ProductToPB(product)
}

// unixMilli is t in Unix milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (s *reportSource) Ack(ctx context.Context, seqs []uint64) error {
	return s.st.AckReports(ctx, s.customer, seqs...)
}

func (s *reportSource) Close() { s.stop() }
