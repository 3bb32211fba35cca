package relay

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// upstreamIngress is the business side of the upstream protocol: it turns
// frames into the accept path's Submits and its Results into answers, and
// reads each customer's reports from the store's outbox.
type upstreamIngress struct {
	reg    *customer.Registry
	accept intake.Acceptor
	st     *store.Store
	hub    *intake.Hub
	// byWebhook reports whether a customer's reports go to its report_url.
	byWebhook func(customer string) bool

	payments *payment.Submitter
}

type session struct{ id string }

func (s session) Customer() string { return s.id }

var _ upstream.Handler = (*upstreamIngress)(nil)

func (in *upstreamIngress) Authenticate(ctx context.Context, id, secret string, remote netip.Addr) (upstream.Session, error) {
	if _, err := in.reg.Authenticate(id, secret); err != nil {
		return nil, upstream.ErrUnauthenticated
	}
	// A suspended customer may still bind: the messages it sent before the
	// suspension are delivered and reported. Its new submits are refused.
	return session{id}, nil
}

func (in *upstreamIngress) Reports(s upstream.Session) upstream.ReportSource {
	if in.byWebhook(s.Customer()) {
		return nil // its reports go to its report_url
	}
	wake, stop := in.hub.Watch(s.Customer())
	return &reportSource{st: in.st, customer: s.Customer(), wake: wake, stop: stop}
}

// batchScratch is what SubmitBatch builds for the accept path and reads
// back, kept for the next batch: Accept keeps none of it (the messages it
// stores are its own), and an answer keeps only the ids' string.
type batchScratch struct {
	subs []intake.Submit
	slot []int
	out  []intake.Result
	hex  []byte
}

var batchScratches = sync.Pool{New: func() any { return new(batchScratch) }}

func (in *upstreamIngress) SubmitBatch(ctx context.Context, s upstream.Session, reqs []*upstreampb.Submit, resps []*upstreampb.SubmitResp) {
	w := batchScratches.Get().(*batchScratch)
	defer func() {
		// Emptied: a pooled batch holds no strings or errors alive.
		clear(w.subs)
		clear(w.out)
		w.subs, w.slot, w.out, w.hex = w.subs[:0], w.slot[:0], w.out[:0], w.hex[:0]
		batchScratches.Put(w)
	}()
	subs, slot := w.subs[:0], w.slot[:0]
	for i, req := range reqs {
		// Enums outside the schema are refused here, before anything
		// narrows them onto defined values.
		dr, refusal := upstream.RequestFromSubmit(req)
		if refusal != nil {
			refuse(resps[i], refusal)
			continue
		}
		subs = append(subs, intake.Submit{ClientRef: req.ClientRef, Request: dr})
		slot = append(slot, i)
	}
	out := slices.Grow(w.out[:0], len(subs))[:len(subs)]
	w.subs, w.slot, w.out = subs, slot, out
	in.accept.Accept(ctx, s.Customer(), message.IngressUpstream, subs, out)
	// The message ids of the batch, cut from one string.
	hex := slices.Grow(w.hex[:0], 16*len(out))
	for j := range out {
		hex = out[j].ID.AppendHex(hex)
	}
	w.hex = hex
	ids := string(hex)
	for j := range out {
		answer(resps[slot[j]], &out[j], ids[16*j:16*j+16])
	}
}

// answer writes the accept path's result in the upstream protocol's
// terms; id is res.ID in its wire form.
func answer(r *upstreampb.SubmitResp, res *intake.Result, id string) {
	switch {
	case res.Refusal != nil:
		refuse(r, res.Refusal)
	case errors.Is(res.Err, intake.ErrShuttingDown):
		r.Status = upstreampb.Status_SHUTTING_DOWN
		r.Reason = "the relay is shutting down; send again on another connection"
		r.RetryAfterMs = uint32(res.RetryAfter.Milliseconds())
	case res.Err != nil:
		r.Status = upstreampb.Status_STORE_UNAVAILABLE
		r.Reason = strings.TrimPrefix(res.Err.Error(), "intake: ")
		r.RetryAfterMs = uint32(res.RetryAfter.Milliseconds())
	default:
		r.Status = upstreampb.Status_OK
		r.MessageId = id
		r.Duplicate = res.Duplicate
	}
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
