package relay

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// ingress is the business side of the upstream protocol: it checks each
// submit at the door, stores the ones that pass in one synced batch per
// call, answers, and hands the new messages to the dispatcher.
type ingress struct {
	reg     *customer.Registry
	door    *door.Checker
	st      *store.Store
	disp    *dispatcher
	hub     *reportHub
	m       *relayMetrics
	now     func() time.Time
	closing atomic.Bool

	payments *payment.Submitter
}

type session struct{ id string }

func (s session) Customer() string { return s.id }

var _ upstream.Handler = (*ingress)(nil)

func (in *ingress) Authenticate(ctx context.Context, id, secret string, remote netip.Addr) (upstream.Session, error) {
	if _, err := in.reg.Authenticate(id, secret); err != nil {
		return nil, upstream.ErrUnauthenticated
	}
	// A suspended customer may still bind: the messages it sent before the
	// suspension are delivered and reported. Its new submits are refused.
	return session{id}, nil
}

func (in *ingress) Reports(s upstream.Session) upstream.ReportSource {
	return in.hub.source(in.st, s.Customer())
}

func (in *ingress) SubmitBatch(ctx context.Context, s upstream.Session, reqs []*upstreampb.Submit, resps []*upstreampb.SubmitResp) {
	now := in.now()
	c := in.reg.Get(s.Customer()) // the latest snapshot: a suspension takes effect at once
	msgs := make([]*message.Message, 0, len(reqs))
	slot := make([]int, 0, len(reqs))
	for i, req := range reqs {
		if in.closing.Load() {
			resps[i].Status = upstreampb.Status_SHUTTING_DOWN
			resps[i].Reason = "the relay is shutting down; send again on another connection"
			resps[i].RetryAfterMs = 1000
			continue
		}
		dr := door.Request{
			Product:   message.Product(req.Product),
			Sender:    req.Sender,
			Recipient: req.Recipient,
			Text:      req.Text,
			Subject:   req.Subject,
			Title:     req.Title,
			Kakao: message.Kakao{
				SenderKey:    req.SenderKey,
				TemplateCode: req.TemplateCode,
				Buttons:      req.ButtonsJson,
				ImageURL:     req.ImageUrl,
				Ad:           req.Ad,
			},
			Fallback: message.Fallback(req.Fallback),
			Truncate: req.Truncate,
		}
		dr.Kakao.Ad = dr.IsAd() // an advertisement by its text is stored as one
		product, refusal := in.door.Check(c, dr, now)
		if refusal != nil {
			if in.earlier(s.Customer(), req.ClientRef, resps[i]) {
				continue
			}
			refuse(resps[i], refusal)
			continue
		}
		rcpt, _ := door.NormalizeRecipient(req.Recipient)
		subject := req.Subject
		if product.Kakao() {
			subject = req.Title
		}
		m := &message.Message{
			Customer:   s.Customer(),
			ClientRef:  req.ClientRef,
			Product:    product,
			Sender:     customer.NormalizeNumber(req.Sender),
			Recipient:  rcpt,
			Text:       req.Text,
			Subject:    subject,
			Kakao:      dr.Kakao,
			Fallback:   dr.Fallback,
			Truncate:   dr.Truncate,
			AcceptedAt: now,
		}
		msgs = append(msgs, m)
		slot = append(slot, i)
	}
	if len(msgs) == 0 {
		return
	}
	out := make([]store.Accepted, len(msgs))
	start := time.Now()
	_ = in.st.AcceptBatch(ctx, msgs, out) // per-message errors are in out
	in.m.acceptSec.UpdateDuration(start)
	fresh := msgs[:0]
	for j, a := range out {
		r := resps[slot[j]]
		if a.Err != nil {
			// Not durable, so not accepted: the client sends it again.
			in.m.storeUnavailable.Inc()
			r.Status = upstreampb.Status_STORE_UNAVAILABLE
			r.Reason = "not stored: " + a.Err.Error()
			r.RetryAfterMs = 1000
			continue
		}
		r.Status = upstreampb.Status_OK
		r.MessageId = a.ID.String()
		r.Duplicate = a.Dup
		if a.Dup {
			in.m.duplicates.Inc()
			continue
		}
		m := msgs[j]
		m.ID, m.State = a.ID, message.StateAccepted
		in.m.accepted[m.Product].Inc()
		fresh = append(fresh, m)
	}
	in.disp.enqueue(fresh...)
}

// earlier answers a refused submit whose client reference was accepted
// before (say, before the customer was suspended, or before a rate limit
// bit) with the first message, as an idempotent resubmission expects.
func (in *ingress) earlier(customerID, ref string, r *upstreampb.SubmitResp) bool {
	if ref == "" {
		return false
	}
	m, err := in.st.ByClientRef(customerID, ref)
	if err != nil || m == nil {
		return false
	}
	r.Status = upstreampb.Status_OK
	r.MessageId = m.ID.String()
	r.Duplicate = true
	in.m.duplicates.Inc()
	return true
}

func refuse(r *upstreampb.SubmitResp, f *door.Refusal) {
	st, ok := upstreampb.Status_value[f.Rule]
	if !ok {
		st = int32(upstreampb.Status_INVALID_REQUEST)
	}
	r.Status = upstreampb.Status(st)
	r.Reason = f.Error()
	r.Field = f.Field
	r.Measured = f.Measured
	r.Limit = f.Max
	r.RetryAfterMs = uint32(f.RetryAfter.Milliseconds())
}
