package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// fakeHandler accepts customer "c1" with secret "right-secret" (and any
// customer named in secrets), answers each submit with an id made from its
// client_ref, and keeps one report outbox per customer across connections.
type fakeHandler struct {
	secrets map[string]string
	auths   atomic.Int64
	// hold, when set, is called with each batch before it is answered.
	hold func(ctx context.Context, reqs []*upstreampb.Submit)
	// slowAuth, when set, is called in each secret check before it answers.
	slowAuth func()

	mu struct {
		sync.Mutex
		outbox map[string]*fakeOutbox
	}
}

type fakeSession struct{ customer string }

func (s fakeSession) Customer() string { return s.customer }

func newFakeHandler() *fakeHandler {
	h := &fakeHandler{secrets: map[string]string{"c1": "right-secret", "c2": "other-secret"}}
	h.mu.outbox = make(map[string]*fakeOutbox)
	return h
}

func (h *fakeHandler) Authenticate(ctx context.Context, customer, secret string, remote netip.Addr) (upstream.Session, error) {
	h.auths.Add(1)
	if h.slowAuth != nil {
		h.slowAuth()
	}
	if s, ok := h.secrets[customer]; !ok || s != secret {
		return nil, upstream.ErrUnauthenticated
	}
	return fakeSession{customer}, nil
}

func (h *fakeHandler) SubmitBatch(ctx context.Context, s upstream.Session, reqs []*upstreampb.Submit, resps []*upstreampb.SubmitResp) {
	if h.hold != nil {
		h.hold(ctx, reqs)
	}
	for i, r := range reqs {
		if r.Recipient == "" {
			resps[i].Status = upstreampb.Status_MISSING_FIELD
			resps[i].Field = "recipient"
			continue
		}
		resps[i].Status = upstreampb.Status_OK
		resps[i].MessageId = "id-" + r.ClientRef
	}
}

func (h *fakeHandler) Reports(s upstream.Session) upstream.ReportSource {
	return h.outbox(s.Customer()).view()
}

func (h *fakeHandler) outbox(customer string) *fakeOutbox {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.mu.outbox[customer]
	if o == nil {
		o = &fakeOutbox{reports: make(map[uint64]*upstreampb.Report)}
		h.mu.outbox[customer] = o
	}
	return o
}

// fakeOutbox stands for the durable report outbox of one customer.
type fakeOutbox struct {
	mu      sync.Mutex
	next    uint64
	reports map[uint64]*upstreampb.Report // unacked
	views   []*fakeView
	made    int // views made
	acked   []uint64
	// failNext makes that many Next calls fail.
	failNext atomic.Int32
	reads    atomic.Int64 // Next calls
	// afterRead, when set, is called by Next with what it read, before
	// it returns: a view that read the outbox and has not claimed yet.
	afterRead func(v *fakeView, read []*upstreampb.Report)
}

func (o *fakeOutbox) add(n int) {
	o.mu.Lock()
	for range n {
		o.next++
		o.reports[o.next] = &upstreampb.Report{ReportSeq: o.next, MessageId: fmt.Sprintf("%016x", o.next),
			State: upstreampb.FinalState_DELIVERED, Billed: upstreampb.Product_PRODUCT_SMS}
	}
	views := append([]*fakeView(nil), o.views...)
	o.mu.Unlock()
	for _, v := range views {
		select {
		case v.notify <- struct{}{}:
		default:
		}
	}
}

func (o *fakeOutbox) unacked() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.reports)
}

func (o *fakeOutbox) view() *fakeView {
	v := &fakeView{o: o, notify: make(chan struct{}, 1)}
	o.mu.Lock()
	v.n = o.made
	o.made++
	o.views = append(o.views, v)
	o.mu.Unlock()
	return v
}

type fakeView struct {
	o      *fakeOutbox
	n      int // the outbox's nth view, from 0
	notify chan struct{}
}

func (v *fakeView) Notify() <-chan struct{} { return v.notify }

func (v *fakeView) Next(ctx context.Context, after uint64, limit int) ([]*upstreampb.Report, uint64, error) {
	v.o.reads.Add(1)
	if v.o.failNext.Load() > 0 {
		v.o.failNext.Add(-1)
		return nil, 0, errors.New("outbox unavailable")
	}
	v.o.mu.Lock()
	var seqs []uint64
	for s := range v.o.reports {
		if s > after {
			seqs = append(seqs, s)
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	if len(seqs) > limit {
		seqs = seqs[:limit]
	}
	out := make([]*upstreampb.Report, len(seqs))
	for i, s := range seqs {
		out[i] = v.o.reports[s]
	}
	hook := v.o.afterRead
	v.o.mu.Unlock()
	if hook != nil {
		hook(v, out)
	}
	if len(seqs) == 0 {
		return nil, after, nil
	}
	return out, seqs[len(seqs)-1], nil
}

func (v *fakeView) Ack(ctx context.Context, seqs []uint64) error {
	v.o.mu.Lock()
	defer v.o.mu.Unlock()
	for _, s := range seqs {
		delete(v.o.reports, s)
		v.o.acked = append(v.o.acked, s)
	}
	return nil
}

func (v *fakeView) Close() {
	v.o.mu.Lock()
	defer v.o.mu.Unlock()
	for i, w := range v.o.views {
		if w == v {
			v.o.views = append(v.o.views[:i], v.o.views[i+1:]...)
			break
		}
	}
}
