package intake

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// Refs keeps message ids and client references unique across the nodes
// of a cluster (relay/cluster.Node); nil for a relay alone.
type Refs interface {
	// CheckNumber is nil while this node may make message ids (no other
	// node holds its number).
	CheckNumber() error
	// ClaimRef makes (customer, ref) this node's before the store takes
	// a message under it. It returns the id another node accepted it
	// under, or settle, to call with the id the store answered (0: not
	// stored); an error means not accepted, send again later.
	ClaimRef(ctx context.Context, customer, ref string) (other message.ID, settle func(message.ID), err error)
	// KeepRef tells the cluster that this node's store holds (customer,
	// ref) under id, when the store answers a resubmission: a claim this
	// node left unsettled (a stop between its store and its settle) is
	// settled then. Best effort; the store has answered.
	KeepRef(ctx context.Context, customer, ref string, id message.ID)
}

// claimRefs runs before the store: it drops from msgs (and slot) every
// message another node accepted under its client reference, answering its
// id as a duplicate, and every one the cluster cannot vouch for now,
// answering a retryable error. It returns the settle functions of the
// messages kept, by index in the returned msgs (nil: no reference).
// Claims of one batch go out at once: each is a replicated round trip.
func (in *Intake) claimRefs(ctx context.Context, msgs []*message.Message, slot []int, out []Result) ([]*message.Message, []int, []func(message.ID)) {
	if err := in.o.Refs.CheckNumber(); err != nil {
		for _, i := range slot {
			in.storeUnavailable.Inc()
			out[i].Err, out[i].RetryAfter = fmt.Errorf("%w: %w", ErrUnavailable, err), 5*time.Second
		}
		return nil, nil, nil
	}
	type claim struct {
		other  message.ID
		settle func(message.ID)
		err    error
	}
	claims := make([]claim, len(msgs))
	var wg sync.WaitGroup
	for j, m := range msgs {
		if m.ClientRef == "" {
			continue
		}
		if p, err := in.o.Store.ByClientRef(m.Customer, m.ClientRef); err == nil && p != nil {
			// Accepted here before: the store answers it, no claim. The
			// bucket hears of it too, beside the claims of the batch.
			wg.Go(func() { in.o.Refs.KeepRef(ctx, m.Customer, m.ClientRef, p.ID) })
			continue
		}
		wg.Go(func() {
			c := &claims[j]
			c.other, c.settle, c.err = in.o.Refs.ClaimRef(ctx, m.Customer, m.ClientRef)
		})
	}
	wg.Wait()
	kept, keptSlot := msgs[:0], slot[:0]
	var settles []func(message.ID)
	for j, c := range claims {
		r := &out[slot[j]]
		switch {
		case c.err != nil:
			in.storeUnavailable.Inc()
			r.Err, r.RetryAfter = fmt.Errorf("%w: %w", ErrUnavailable, c.err), time.Second
			continue
		case c.other != 0:
			r.ID, r.Duplicate = c.other, true
			in.duplicates.Inc()
			continue
		}
		if c.settle != nil && settles == nil {
			settles = make([]func(message.ID), len(kept), len(msgs))
		}
		kept, keptSlot = append(kept, msgs[j]), append(keptSlot, slot[j])
		if settles != nil {
			settles = append(settles, c.settle)
		}
	}
	return kept, keptSlot, settles
}

// settleRefs tells the cluster under which id each claimed reference was
// stored (0: not stored), before the submits are answered: once a client
// has its answer, every node answers a resubmission with the same id.
func settleRefs(settles []func(message.ID), acc []store.Accepted) {
	var wg sync.WaitGroup
	for j, s := range settles {
		if s == nil {
			continue
		}
		id := acc[j].ID
		if acc[j].Err != nil {
			id = 0
		}
		wg.Go(func() { s(id) })
	}
	wg.Wait()
}
