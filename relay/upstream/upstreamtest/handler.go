package upstreamtest

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// MemHandler is an in-memory upstream.Handler: it accepts every submit
// from a known customer (a repeated client_ref gets the first id and the
// duplicate flag), keeps what it accepted, and keeps one report outbox per
// customer across connections. Set the exported fields before use.
type MemHandler struct {
	// Decide, when set, may answer a submit instead of accepting it: return
	// a SubmitResp to refuse or throttle, nil to accept.
	Decide func(customer string, s *upstreampb.Submit) *upstreampb.SubmitResp
	// Delay is how long each batch waits before it is answered: a slow store.
	Delay time.Duration
	// AutoReport makes every accepted message DELIVERED at once, billed as
	// its product (auto counts as SMS).
	AutoReport bool

	ids message.IDGen

	mu struct {
		sync.Mutex
		secrets  map[string]string
		outboxes map[string]*Outbox
		refs     map[string]message.ID // customer + "\x00" + client_ref
		accepted []Accepted
	}
}

// Accepted is one accepted submit.
type Accepted struct {
	ID       message.ID
	Customer string
	Submit   *upstreampb.Submit
	At       time.Time
}

// NewMemHandler returns a handler that knows no customer yet.
func NewMemHandler() *MemHandler {
	h := &MemHandler{}
	h.mu.secrets = make(map[string]string)
	h.mu.outboxes = make(map[string]*Outbox)
	h.mu.refs = make(map[string]message.ID)
	return h
}

// AddCustomer lets customer bind with secret.
func (h *MemHandler) AddCustomer(customer, secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mu.secrets[customer] = secret
}

type session string

func (s session) Customer() string { return string(s) }

// Authenticate implements upstream.Handler.
func (h *MemHandler) Authenticate(_ context.Context, customer, secret string, _ netip.Addr) (upstream.Session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.mu.secrets[customer]; !ok || s != secret {
		return nil, upstream.ErrUnauthenticated
	}
	return session(customer), nil
}

// SubmitBatch implements upstream.Handler.
func (h *MemHandler) SubmitBatch(ctx context.Context, s upstream.Session, reqs []*upstreampb.Submit, resps []*upstreampb.SubmitResp) {
	if h.Delay > 0 {
		t := time.NewTimer(h.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return // unanswered: the server says STORE_UNAVAILABLE
		}
	}
	customer := s.Customer()
	var reports []*upstreampb.Report
	now := time.Now()
	h.mu.Lock()
	for i, req := range reqs {
		if h.Decide != nil {
			if r := h.Decide(customer, req); r != nil {
				resps[i] = r
				continue
			}
		}
		key := customer + "\x00" + req.ClientRef
		if id, ok := h.mu.refs[key]; ok && req.ClientRef != "" {
			resps[i].Status, resps[i].MessageId, resps[i].Duplicate = upstreampb.Status_OK, id.String(), true
			continue
		}
		id := h.ids.Next()
		if req.ClientRef != "" {
			h.mu.refs[key] = id
		}
		// A copy: the server reuses req once SubmitBatch returns.
		h.mu.accepted = append(h.mu.accepted, Accepted{ID: id, Customer: customer, Submit: proto.CloneOf(req), At: now})
		resps[i].Status, resps[i].MessageId = upstreampb.Status_OK, id.String()
		if h.AutoReport {
			billed := req.Product
			if billed == upstreampb.Product_PRODUCT_AUTO {
				billed = upstreampb.Product_PRODUCT_SMS
			}
			reports = append(reports, &upstreampb.Report{
				MessageId: id.String(), ClientRef: req.ClientRef, Customer: customer,
				State: upstreampb.FinalState_DELIVERED, ResultSource: upstreampb.ResultSource_SOURCE_RECEIPT,
				ResultCode: "DELIVRD", Billed: billed, Product: req.Product,
				AcceptedAtMs: now.UnixMilli(), SentAtMs: now.UnixMilli(), FinalAtMs: now.UnixMilli(),
			})
		}
	}
	box := h.outboxLocked(customer)
	h.mu.Unlock()
	for _, r := range reports {
		box.Add(r)
	}
}

// Reports implements upstream.Handler.
func (h *MemHandler) Reports(s upstream.Session) upstream.ReportSource {
	return h.Outbox(s.Customer()).View()
}

// Outbox returns the customer's report outbox.
func (h *MemHandler) Outbox(customer string) *Outbox {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.outboxLocked(customer)
}

func (h *MemHandler) outboxLocked(customer string) *Outbox {
	o := h.mu.outboxes[customer]
	if o == nil {
		o = NewOutbox()
		h.mu.outboxes[customer] = o
	}
	return o
}

// Accepted returns what was accepted so far, in order.
func (h *MemHandler) Accepted() []Accepted {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Accepted(nil), h.mu.accepted...)
}
