package store

import (
	"context"

	"github.com/msgrelay/relay/relay/message"
)

// Accepted is the answer to one message of AcceptBatch.
type Accepted struct {
	ID  message.ID
	Dup bool  // the customer sent this client reference before: ID is the first message's
	Err error // the message was not stored
}

// AcceptBatch stores many new messages as one write, synced once, and
// answers each. It is what an upstream connection's batch of submits uses:
// the same guarantees as Accept (nothing is answered before it is durable;
// a repeated client reference, also inside the batch, returns the first id),
// at the cost of one fsync for the whole batch. out must have len(ms).
func (s *Store) AcceptBatch(ctx context.Context, ms []*message.Message, out []Accepted) error {
	s.refs.begin()
	recs := make([]*acceptance, len(ms))
	now := s.now()
	for i, m := range ms {
		out[i] = Accepted{}
		if err := checkNew(m); err != nil {
			out[i].Err = err
			continue
		}
		recs[i] = prepare(m, now, s.opts.Validity)
	}
	// The op writes only into res: do may return on ctx while the op still
	// runs, and then out must not be shared with it.
	res := make([]Accepted, len(ms))
	err := s.doFirst(ctx, func(w *writer) error {
		for i := range recs {
			if recs[i] == nil {
				continue
			}
			id, dup, err := w.accept(recs[i])
			if err != nil {
				// A failure after earlier writes of this op aborts the whole
				// group (Store.run), so no message is half-accepted.
				return err
			}
			res[i].ID, res[i].Dup = id, dup
		}
		return nil
	})
	if err != nil {
		for i := range out {
			if out[i].Err == nil {
				out[i] = Accepted{Err: err}
			}
		}
		return err
	}
	for i := range out {
		if out[i].Err == nil {
			out[i] = res[i]
		}
	}
	for i := range out {
		switch {
		case out[i].Err != nil:
		case out[i].Dup:
			s.m.acceptDup.Inc()
		default:
			s.m.accepted.Inc()
			if !ms[i].NotBefore.IsZero() {
				s.scheduled.Add(1)
			}
		}
	}
	return nil
}
