package store

import (
	"context"
	"fmt"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// move is the one place a message changes state. It checks the move with
// message.CheckTransition, applies mutate (which may set any field but the
// id, customer, client reference, product, recipient and state), and then
// writes the record and every index the change touches. It reads everything
// it needs before it writes anything. Runs on buildLoop.
func (w *writer) move(r *rec, to message.State, mutate func(*message.Message)) error {
	if err := message.CheckTransition(r.State, to); err != nil {
		w.s.m.illegal.Inc()
		return fmt.Errorf("store: message %s: %w", r.ID, err)
	}
	old := *r
	if mutate != nil {
		mutate(&r.Message)
	}
	m := &r.Message
	m.ID, m.Customer, m.ClientRef = old.ID, old.Customer, old.ClientRef
	m.Product, m.Recipient, m.AcceptedAt = old.Product, old.Recipient, old.AcceptedAt
	m.State = to
	if err := message.CheckLengths(m); err != nil {
		// A field set by mutate (a carrier's id, a result's reason) that
		// the store cannot keep: refused for good, nothing written.
		*r = old
		return fmt.Errorf("%w: message %s: %w", ErrInvalid, r.ID, err)
	}
	if to.Final() && m.FinalAt.IsZero() {
		m.FinalAt = w.now
	}
	if to.AwaitingResult() && m.SentAt.IsZero() {
		m.SentAt = w.now
	}
	if to.Final() && m.FinalAt.Before(m.SentAt) {
		// A result is never before its send: a carrier's clock behind
		// ours, or a wall clock stepped back, stamps it at the send.
		m.FinalAt = m.SentAt
	}
	if to == message.StateDelivered && m.Billed == message.ProductUnknown {
		m.Billed = m.Product
	}
	// A move to the next leg keeps the leg it ends, with the result the
	// mutate gave it; the new leg starts without a result.
	ended := endedLeg(&old.Message, m, w.now)
	if ended != nil {
		m.Result = message.Result{}
	}
	r.changed |= deltaMask(&old.Message, m)
	r.whole = r.whole || !stateOnly(&old.Message, m) || r.Purged != old.Purged

	// Reads first.
	var seq, count uint64
	var seqKey, billed []byte // read now, written below
	var seqBuf, billBuf keyBuf
	final := to.Final() && !old.State.Final()
	if final {
		var err error
		seqKey = appendCustomerPrefix(seqBuf[:0], tOutSeq, m.Customer)
		if seq, err = w.counter(seqKey); err != nil {
			return err
		}
		if to == message.StateDelivered {
			billed = appendBillKey(billBuf[:0], m.Customer, w.s.days.of(m.FinalAt), m.Billed)
			if count, err = w.counter(billed); err != nil {
				return err
			}
		}
	}
	newDLR := m.CarrierMsgID != "" && (m.Carrier != old.Carrier || m.CarrierMsgID != old.CarrierMsgID)
	var parked *parkedReceipt
	if newDLR {
		var err error
		if parked, err = w.parked(w.s.account(m.Carrier), m.CarrierMsgID); err != nil {
			return err
		}
	}

	// Then writes; an error from here on aborts the whole group.
	if !w.interim {
		if err := w.writeRecord(r); err != nil {
			return err
		}
	}
	if old.CarrierMsgID != "" && (m.Carrier != old.Carrier || m.CarrierMsgID != old.CarrierMsgID) {
		var kb keyBuf
		if err := w.del(appendDLRKey(kb[:0], tDLR, w.s.account(old.Carrier), old.CarrierMsgID)); err != nil {
			return err
		}
	}
	if newDLR {
		id := m.ID.Bytes()
		var kb keyBuf
		if err := w.set(appendDLRKey(kb[:0], tDLR, w.s.account(m.Carrier), m.CarrierMsgID), id[:]); err != nil {
			return err
		}
	}
	if ended != nil {
		if err := w.set(legKey(m.ID, ended.N), encodeLeg(ended)); err != nil {
			return err
		}
	}
	// The due key moves only when the message turns final or its
	// deadline changes; compared by its parts, without building keys.
	oldOpen, newOpen := !old.State.Final(), !m.State.Final()
	oldDeadline, newDeadline := w.s.Deadline(&old.Message), w.s.Deadline(m)
	if !oldOpen || !newOpen || oldDeadline.UnixMilli() != newDeadline.UnixMilli() {
		if i, ok := w.s.win.find(m.ID); oldOpen && ok {
			// Accepted in the last DueDelay, its key not written yet:
			// the window keeps the change, and a final message never
			// writes the key or its removal (dueWindow).
			w.s.win.moved(i, !newOpen, newDeadline)
			w.g.writes++ // a failure after it aborts the group, which undoes it
		} else {
			if oldOpen {
				var kb [17]byte
				if err := w.singleDel(appendDueKey(kb[:0], oldDeadline, m.ID)); err != nil {
					return err
				}
			}
			if newOpen {
				var kb [17]byte
				if err := w.set(appendDueKey(kb[:0], newDeadline, m.ID), nil); err != nil {
					return err
				}
			}
		}
	}
	if final {
		if err := w.appendReport(m, seqKey, seq+1); err != nil {
			return err
		}
		if billed != nil {
			w.setCounter(billed, count+1)
		}
		if err := w.countDay(m); err != nil {
			return err
		}
		w.s.m.final(m, w.now)
	}
	w.s.m.transitions.Inc()
	if parked != nil {
		// The id is now this message's: a receipt parked under it is
		// applied in the same batch if it came after this submit (it
		// overtook the submit response), dropped if it came before (it is
		// an earlier holder's, and would deliver and bill this message at
		// once, final before sent).
		account := w.s.account(m.Carrier)
		var kb keyBuf // on the stack: the removals are called directly, not through a func value
		key := appendDLRKey(kb[:0], tParked, account, m.CarrierMsgID)
		var err error
		if parked.Once {
			err = w.singleDelRead(key) // no tombstone
		} else {
			err = w.del(key)
		}
		if err != nil {
			return err
		}
		if !parked.matches(m, account) {
			w.s.m.rcptUnmatched.Inc()
			return nil
		}
		if _, err := w.applyReceipt(r, parked.Receipt); err != nil {
			return err
		}
	}
	return nil
}

// dueOf is the due-table key of a message that is not final: its
// deadline, whatever state it is in.
func (s *Store) dueOf(m *message.Message) []byte {
	if m.State.Final() {
		return nil
	}
	return dueKey(s.Deadline(m), m.ID)
}

// Deadline is when message m must be final: the deadline set at its
// acceptance (the earlier of the submitter's validity and acceptance +
// Options.Validity), or, for a record written before deadlines were kept,
// acceptance + Options.Validity.
func (s *Store) Deadline(m *message.Message) time.Time {
	if !m.Deadline.IsZero() {
		return m.Deadline
	}
	return m.AcceptedAt.Add(s.opts.Validity)
}

// Validity is how long after its acceptance a message must be final at the
// latest (Options.Validity).
func (s *Store) Validity() time.Duration { return s.opts.Validity }

// Transition moves message id to state to, applying mutate first (see
// move). It is the general form of the verbs below. mutate runs on the
// store's write goroutine: it must be quick and must not call the store.
// Retrying a transition that did commit (after a timeout or a crash)
// returns an error wrapping message.ErrIllegalTransition and changes
// nothing; Get tells the caller where the message is.
func (s *Store) Transition(ctx context.Context, id message.ID, to message.State, mutate func(*message.Message)) error {
	return s.do(ctx, func(w *writer) error {
		r, err := w.load(id)
		if err != nil {
			return err
		}
		return w.move(r, to, mutate)
	})
}

// MarkQueued moves an accepted message to queued.
func (s *Store) MarkQueued(ctx context.Context, id message.ID) error {
	return s.Transition(ctx, id, message.StateQueued, nil)
}

// MarkSending records a submit attempt: queued → sending on the given
// carrier, or queued → kakao-sending for the first leg of a Kakao product.
// Attempts grows by one.
func (s *Store) MarkSending(ctx context.Context, id message.ID, carrier string) error {
	return s.do(ctx, func(w *writer) error {
		r, err := w.load(id)
		if err != nil {
			return err
		}
		to := message.StateSending
		if r.Product.Kakao() && r.Leg == 0 {
			to = message.StateKakaoSending
		}
		return w.move(r, to, func(m *message.Message) {
			m.Attempts++
			m.Carrier, m.CarrierMsgID = carrier, ""
		})
	})
}

// RecordSubmitResp records that the carrier (or Kakao) accepted the current
// leg under carrierMsgID: sending → sent, kakao-sending → kakao-sent, with
// the receipt index and the result deadline (sentAt + 48h). A receipt parked
// under that id is applied in the same batch. It returns the state the
// message is in afterwards.
func (s *Store) RecordSubmitResp(ctx context.Context, id message.ID, carrier, carrierMsgID string, sentAt time.Time) (message.State, error) {
	var state message.State
	err := s.do(ctx, func(w *writer) error {
		r, err := w.load(id)
		if err != nil {
			return err
		}
		to := message.StateSent
		if r.State == message.StateKakaoSending {
			to = message.StateKakaoSent
		}
		err = w.move(r, to, func(m *message.Message) {
			m.Carrier, m.CarrierMsgID, m.SentAt = carrier, carrierMsgID, sentAt
		})
		state = r.State
		return err
	})
	if err != nil {
		return 0, err
	}
	return state, nil
}

// Requeue puts a message whose submit failed transiently back to queued
// (sending → queued).
func (s *Store) Requeue(ctx context.Context, id message.ID) error {
	return s.Transition(ctx, id, message.StateQueued, func(m *message.Message) {
		m.CarrierMsgID = ""
	})
}

// Fallback starts the SMS/LMS leg of a Kakao message that Kakao could not
// deliver (kakao-sending or kakao-sent → queued); billed is the product the
// new leg is sent and, on delivery, billed as.
func (s *Store) Fallback(ctx context.Context, id message.ID, billed message.Product) error {
	return s.Transition(ctx, id, message.StateQueued, func(m *message.Message) {
		m.Leg++
		m.Billed = billed
		m.Carrier, m.CarrierMsgID, m.SentAt = "", "", time.Time{}
	})
}

// Fail closes a message as failed with the given result.
func (s *Store) Fail(ctx context.Context, id message.ID, res message.Result) error {
	return s.Transition(ctx, id, message.StateFailed, func(m *message.Message) {
		m.Result = res
	})
}

// Deliver closes a message as delivered (for results that are not
// receipts, such as a Kakao success answer). It bills the message once.
func (s *Store) Deliver(ctx context.Context, id message.ID, res message.Result, at time.Time) error {
	return s.Transition(ctx, id, message.StateDelivered, func(m *message.Message) {
		m.Result, m.FinalAt = res, at
	})
}

// Advance moves a message the caller last saw in state from along path,
// one checked step after another, in one batch, writing the record once;
// mutate (which may be nil) applies at the last step, and a step into
// kakao-sending or sending counts an attempt. It lets a channel write a leg
// once, after the answer that decided it, instead of once per intermediate
// state: a crash between the send and this write leaves the message open,
// and recovery sends it again, as it would from sending. A receipt parked
// under a newly recorded carrier id is applied in the same batch. If the
// message is no longer in from (a receipt or the expiry got there first),
// nothing is written and the error wraps message.ErrIllegalTransition.
func (s *Store) Advance(ctx context.Context, id message.ID, from message.State, path []message.State, mutate func(*message.Message)) error {
	return s.do(ctx, func(w *writer) error {
		r, err := w.load(id)
		if err != nil {
			return err
		}
		if r.State != from {
			return fmt.Errorf("store: message %s is %s, not %s: %w", id, r.State, from, message.ErrIllegalTransition)
		}
		// Check the whole path before writing: a refusal half-way would
		// abort the group, and with it other callers' writes.
		at := from
		for _, to := range path {
			if err := message.CheckTransition(at, to); err != nil {
				return fmt.Errorf("store: message %s: %w", id, err)
			}
			at = to
		}
		for i, to := range path {
			var f func(*message.Message)
			if i == len(path)-1 {
				f = mutate
			}
			counts := to == message.StateSending || to == message.StateKakaoSending
			w.interim = i < len(path)-1 // the record is written once, at the last step
			if err := w.move(r, to, func(m *message.Message) {
				if counts {
					m.Attempts++
				}
				if f != nil {
					f(m)
				}
			}); err != nil {
				return err
			}
		}
		return nil
	})
}
