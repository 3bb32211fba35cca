package store

import (
	"context"
	"encoding/binary"
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
	s.refs.begin()
	if err := checkNew(m); err != nil {
		return 0, false, err
	}
	a := prepare(m, s.now(), s.opts.Validity)
	// Written by the pipeline; read only after do succeeds (if ctx ends
	// first, the op may still run later).
	var id message.ID
	var dup bool
	err := s.doFirst(ctx, func(w *writer) error {
		var err error
		id, dup, err = w.accept(a)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	if dup {
		s.m.acceptDup.Inc()
	} else {
		s.m.accepted.Inc()
		if !m.NotBefore.IsZero() {
			s.scheduled.Add(1)
		}
	}
	return id, dup, nil
}

// checkNew refuses what the store cannot index.
func checkNew(m *message.Message) error {
	switch {
	case m.Customer == "":
		return fmt.Errorf("%w: no customer", ErrInvalid)
	case m.Product == message.ProductUnknown || m.Product == message.ProductAuto:
		return fmt.Errorf("%w: product %s cannot be stored", ErrInvalid, m.Product)
	case strings.IndexByte(m.Customer, 0) >= 0:
		return fmt.Errorf("%w: NUL in customer", ErrInvalid)
	}
	if err := message.CheckLengths(m); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// acceptance is a new message encoded by the caller, off the write
// goroutine, with a zero id; the write goroutine checks the reference,
// assigns the id and writes it into the record and the keys.
type acceptance struct {
	ref    []byte    // ref index key; nil without a client reference
	record []byte    // the record; id at [1:9]
	keys   [][]byte  // msg, cust, due and rcpt keys, each ending in the id
	keyBuf [5][]byte // keys' array

	deadline time.Time
}

func prepare(m *message.Message, now time.Time, validity time.Duration) *acceptance {
	r := rec{Message: *m}
	r.ID = 0
	r.State = message.StateAccepted
	if r.AcceptedAt.IsZero() {
		r.AcceptedAt = now
	}
	r.Attempts, r.Leg = 0, 0
	r.SentAt, r.FinalAt = time.Time{}, time.Time{}
	r.Carrier, r.CarrierMsgID = "", ""
	r.Result = message.Result{}
	r.Billed = message.ProductUnknown
	// The deadline is set here, once: the submitter's own validity if it
	// asked for an earlier one, else acceptance + validity. Every state
	// until a final one keeps it (dueOf), so no message, sent or not,
	// outlives it.
	r.Deadline = message.DeadlineOf(r.AcceptedAt, validity, r.Deadline)
	// The record and every key in one allocation; each gets a slice of its
	// own length and capacity, so that nothing appended to one (a state
	// delta to the record) runs into the next.
	c := len(m.Customer)
	n := recordCap(&r.Message) + 9 + (2 + c + 8) + 17 + (3 + c + len(m.ClientRef)) +
		(3 + c + len(m.Recipient) + 8) + 17
	buf := make([]byte, 0, n)
	cut := func(from int) []byte { return buf[from:len(buf):len(buf)] }
	a := &acceptance{deadline: r.Deadline}
	a.keys = a.keyBuf[:0]
	buf = encodeRecord(buf, &r)
	a.record = cut(0)
	if m.ClientRef != "" {
		at := len(buf)
		buf = appendStr(appendStr(append(buf, tRef), m.Customer), m.ClientRef)
		a.ref = cut(at)
	}
	at := len(buf)
	buf = appendID(append(buf, tMsg), 0)
	a.keys = append(a.keys, cut(at))
	at = len(buf)
	buf = appendID(appendStr(append(buf, tCust), m.Customer), 0)
	a.keys = append(a.keys, cut(at))
	at = len(buf)
	buf = appendID(appendDeadline(append(buf, tDue), r.Deadline), 0)
	a.keys = append(a.keys, cut(at))
	if m.Recipient != "" {
		at = len(buf)
		buf = appendID(appendStr(appendStr(append(buf, tRcpt), m.Customer), m.Recipient), 0)
		a.keys = append(a.keys, cut(at))
	}
	if !r.NotBefore.IsZero() {
		at = len(buf)
		buf = appendID(appendDeadline(append(buf, tSched), r.NotBefore), 0) // waits on disk for its time (schedule.go)
		a.keys = append(a.keys, cut(at))
	}
	return a
}

// accept runs on buildLoop.
func (w *writer) accept(a *acceptance) (message.ID, bool, error) {
	if a.ref != nil && w.s.refs.mayContain(a.ref) {
		v, ok, err := w.get(a.ref)
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
	id := w.s.ids.Next()
	binary.BigEndian.PutUint64(a.record[1:9], uint64(id))
	for _, k := range a.keys {
		binary.BigEndian.PutUint64(k[len(k)-8:], uint64(id))
	}
	if a.ref != nil {
		b := id.Bytes()
		if err := w.set(a.ref, b[:]); err != nil {
			return 0, false, err
		}
	}
	for i, k := range a.keys {
		v := []byte(nil)
		if i == 0 {
			v = a.record
		}
		if k[0] == tDue && w.s.win.accepted(id, a.deadline, w.now) {
			continue // written if still open after DueDelay (dueWindow)
		}
		if err := w.set(k, v); err != nil {
			return 0, false, err
		}
	}
	return id, false, nil
}
