package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Accepter stores a message durably, idempotent on (customer, client
// reference); *store.Store implements it.
type Accepter interface {
	Accept(ctx context.Context, m *message.Message) (id message.ID, dup bool, err error)
}

// Submitter expands events and hands the messages to the store.
type Submitter struct {
	Registry *Registry
	Store    Accepter
	// Check, if set, is the door check each message must pass before it is
	// stored (suspension, products, lengths). A refusal fails the event;
	// messages accepted before it stay accepted, and a retry of the event
	// finds them as duplicates.
	Check func(*message.Message) error
}

// Submit expands ev and accepts its messages in order. It returns the
// message ids, and dup set when every message already existed: the event
// was seen before. An event that asks for no message returns no ids.
func (s *Submitter) Submit(ctx context.Context, ev Event) (ids []message.ID, dup bool, err error) {
	msgs, err := s.Registry.Expand(ev)
	if err != nil {
		return nil, false, err
	}
	dups := 0
	for i := range msgs {
		m := &msgs[i]
		if s.Check != nil {
			if err := s.Check(m); err != nil {
				return ids, false, fmt.Errorf("payment: event %s to %s: %w", ev.ID, m.Recipient, err)
			}
		}
		id, d, err := s.Store.Accept(ctx, m)
		if err != nil {
			return ids, false, storeErr{fmt.Errorf("payment: event %s: storing: %w", ev.ID, err)}
		}
		if d {
			dups++
		}
		ids = append(ids, id)
	}
	return ids, len(msgs) > 0 && dups == len(msgs), nil
}

// Answer submits a protocol event and builds its answer: OK with the ids
// (and duplicate for a repeated event), INVALID_REQUEST for an event or MID
// the relay cannot use, STORE_UNAVAILABLE when storing failed (retry).
func (s *Submitter) Answer(ctx context.Context, pe *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	ids, dup, err := s.Submit(ctx, FromProto(pe))
	if err != nil {
		// Only a store failure is worth a retry; an event, a MID or a
		// refusal at the door fails the same way again.
		st := upstreampb.Status_INVALID_REQUEST
		if isStoreErr(err) {
			st = upstreampb.Status_STORE_UNAVAILABLE
		}
		return &upstreampb.PaymentEventResp{Status: st, Reason: err.Error()}
	}
	resp := &upstreampb.PaymentEventResp{Status: upstreampb.Status_OK, Duplicate: dup}
	for _, id := range ids {
		resp.MessageIds = append(resp.MessageIds, id.String())
	}
	return resp
}

type storeErr struct{ error }

func (e storeErr) Unwrap() error { return e.error }

func isStoreErr(err error) bool {
	var se storeErr
	return errors.As(err, &se)
}
