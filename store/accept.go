package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// Accept stores a new message and returns its id once the message is synced
// to disk. It is idempotent on (customer, client reference): if the customer
// already sent that reference, Accept writes nothing and returns the first
// message's id with dup set. The store assigns the id, sets the state to
// accepted and, if unset, the acceptance time; m itself is not modified.
func (s *Store) Accept(ctx context.Context, m *message.Message) (message.ID, bool, error) {
	if err := checkNew(m); err != nil {
		return 0, false, err
	}
	r := &rec{Message: *m}
	// Written by the pipeline; read only after do succeeds (if ctx ends
	// first, the op may still run later).
	var id message.ID
	var dup bool
	err := s.do(ctx, func(w *writer) error {
		var err error
		id, dup, err = w.accept(r)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	if dup {
		s.m.acceptDup.Inc()
	} else {
		s.m.accepted.Inc()
	}
	return id, dup, nil
}

// checkNew refuses what the store cannot index.
func checkNew(m *message.Message) error {
	switch {
	case m.Customer == "" || len(m.Customer) > maxKeyString:
		return fmt.Errorf("%w: customer %q", ErrInvalid, m.Customer)
	case len(m.ClientRef) > maxKeyString || len(m.Recipient) > maxKeyString:
		return fmt.Errorf("%w: client reference or recipient longer than %d bytes", ErrInvalid, maxKeyString)
	case m.Product == message.ProductUnknown || m.Product == message.ProductAuto:
		return fmt.Errorf("%w: product %s cannot be stored", ErrInvalid, m.Product)
	case strings.IndexByte(m.Customer, 0) >= 0:
		return fmt.Errorf("%w: NUL in customer", ErrInvalid)
	}
	return nil
}

// accept runs on buildLoop.
func (w *writer) accept(r *rec) (message.ID, bool, error) {
	var rk []byte
	if r.ClientRef != "" {
		rk = refKey(r.Customer, r.ClientRef)
		v, ok, err := w.get(rk)
		if err != nil {
			return 0, false, err
		}
		if ok {
			if len(v) != 8 {
				return 0, false, fmt.Errorf("ref index: %w", ErrCorrupt)
			}
			return idAt(v), true, nil
		}
	}
	m := &r.Message
	m.ID = w.s.ids.Next()
	m.State = message.StateAccepted
	if m.AcceptedAt.IsZero() {
		m.AcceptedAt = w.now
	}
	m.Attempts, m.Leg = 0, 0
	m.SentAt, m.FinalAt = time.Time{}, time.Time{}
	m.Carrier, m.CarrierMsgID = "", ""
	m.Result = message.Result{}
	m.Billed = message.ProductUnknown
	id := m.ID.Bytes()
	if rk != nil {
		if err := w.set(rk, id[:]); err != nil {
			return 0, false, err
		}
	}
	if err := w.set(openKey(m.ID), nil); err != nil {
		return 0, false, err
	}
	if err := w.set(custKey(m.Customer, m.ID), nil); err != nil {
		return 0, false, err
	}
	if m.Recipient != "" {
		if err := w.set(rcptKey(m.Customer, m.Recipient, m.ID), nil); err != nil {
			return 0, false, err
		}
	}
	if err := w.set(msgKey(m.ID), encodeRecord(nil, r)); err != nil {
		return 0, false, err
	}
	return m.ID, false, nil
}
