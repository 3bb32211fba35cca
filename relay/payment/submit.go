package payment

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Accepter stores a message durably, idempotent on (customer, client
// reference); *store.Store implements it.
type Accepter interface {
	Accept(ctx context.Context, m *message.Message) (id message.ID, dup bool, err error)
}

// BatchAccepter is an Accepter that also stores an event's messages at
// once: one synced write, and on a cluster node their client references
// claimed across the nodes at once (relay/intake). It answers each message
// with an id, whether it existed already, or an error.
type BatchAccepter interface {
	Accepter
	AcceptAll(ctx context.Context, ms []*message.Message) (ids []message.ID, dups []bool, errs []error)
}

// Submitter expands events and hands the messages to the store.
type Submitter struct {
	Registry *Registry
	Store    Accepter
	// Check, if set, is the door check each message must pass before it is
	// stored (suspension, products, lengths). A refusal fails the event;
	// the messages before it in the event's order are still accepted, and
	// a retry of the event finds them as duplicates.
	Check func(*message.Message) error
	// Sources are the customers that may push payment events: the payment
	// systems (config payment_source). A merchant never may, not even for
	// its own MIDs: a notice of a payment must come from the payment system.
	Sources []string
}

// AnswerFrom answers event pe pushed by customer from: refused with
// NOT_PAYMENT_SOURCE unless from is one of Sources, and INVALID_REQUEST
// naming the MID unless the MID has a subscription; otherwise as [Answer].
func (s *Submitter) AnswerFrom(ctx context.Context, from string, pe *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	if !slices.Contains(s.Sources, from) {
		return &upstreampb.PaymentEventResp{Status: upstreampb.Status_NOT_PAYMENT_SOURCE,
			Reason: fmt.Sprintf("NOT_PAYMENT_SOURCE: customer %q is not a payment source; payment events come only from the payment system", from)}
	}
	if s.Registry.Get(pe.GetMid()) == nil {
		return &upstreampb.PaymentEventResp{Status: upstreampb.Status_INVALID_REQUEST,
			Reason: fmt.Sprintf("INVALID_REQUEST: MID %q has no payment AlimTalk subscription", pe.GetMid())}
	}
	return s.Answer(ctx, pe)
}

// Submit expands ev and accepts its messages: at once when Store is a
// BatchAccepter, otherwise one after the other. It returns the message ids,
// and dup set when every message already existed: the event was seen
// before. An event that asks for no message returns no ids. The messages
// are checked in order first; those before a refusal are accepted, and the
// refusal is returned.
func (s *Submitter) Submit(ctx context.Context, ev Event) (ids []message.ID, dup bool, err error) {
	msgs, err := s.Registry.Expand(ev)
	if err != nil {
		return nil, false, err
	}
	checked, refused := len(msgs), error(nil)
	for i := range msgs {
		if s.Check == nil {
			break
		}
		if err := s.Check(&msgs[i]); err != nil {
			checked, refused = i, fmt.Errorf("payment: event %s to %s: %w", ev.ID, msgs[i].Recipient, err)
			break
		}
	}
	dups := 0
	if ba, ok := s.Store.(BatchAccepter); ok && checked > 0 {
		ms := make([]*message.Message, checked)
		for i := range ms {
			ms[i] = &msgs[i]
		}
		got, ds, errs := ba.AcceptAll(ctx, ms)
		for i := range ms {
			if errs[i] != nil {
				return ids, false, storeErr{fmt.Errorf("payment: event %s: storing: %w", ev.ID, errs[i])}
			}
			if ds[i] {
				dups++
			}
			ids = append(ids, got[i])
		}
	} else {
		for i := range checked {
			id, d, err := s.Store.Accept(ctx, &msgs[i])
			if err != nil {
				return ids, false, storeErr{fmt.Errorf("payment: event %s: storing: %w", ev.ID, err)}
			}
			if d {
				dups++
			}
			ids = append(ids, id)
		}
	}
	if refused != nil {
		return ids, false, refused
	}
	return ids, len(msgs) > 0 && dups == len(msgs), nil
}

// Answer submits a protocol event and builds its answer: OK with the ids
// (and duplicate for a repeated event); MISSING_FIELD naming a field the
// event's kind needs; the door's rule when a message is refused there
// (CUSTOMER_SUSPENDED naming the merchant, ...); INVALID_REQUEST for an
// event or MID the relay cannot use; STORE_UNAVAILABLE when storing failed
// (retry).
func (s *Submitter) Answer(ctx context.Context, pe *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	ids, dup, err := s.Submit(ctx, FromProto(pe))
	if err != nil {
		return &upstreampb.PaymentEventResp{Status: errStatus(err), Reason: err.Error()}
	}
	resp := &upstreampb.PaymentEventResp{Status: upstreampb.Status_OK, Duplicate: dup}
	for _, id := range ids {
		resp.MessageIds = append(resp.MessageIds, id.String())
	}
	return resp
}

// errStatus classifies a failed event. Only a store failure is worth a
// retry; an event, a MID or a refusal at the door fails the same way again.
func errStatus(err error) upstreampb.Status {
	var missing *MissingFieldError
	var refusal *door.Refusal
	switch {
	case isStoreErr(err):
		return upstreampb.Status_STORE_UNAVAILABLE
	case errors.As(err, &missing):
		return upstreampb.Status_MISSING_FIELD
	case errors.As(err, &refusal):
		if st, ok := upstreampb.Status_value[refusal.Rule]; ok {
			return upstreampb.Status(st)
		}
	}
	return upstreampb.Status_INVALID_REQUEST
}

type storeErr struct{ error }

func (e storeErr) Unwrap() error { return e.error }

func isStoreErr(err error) bool {
	var se storeErr
	return errors.As(err, &se)
}
