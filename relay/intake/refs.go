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
	// ClaimRefs makes each (customers[i], refs[i]) this node's before the
	// store takes a message under it, all at once. others[i] is the id
	// another node accepted refs[i] under; errs[i] means not accepted,
	// send again later; the others are claimed. settle, never nil, is to
	// call with the ids the store answered (ids[i] for refs[i], 0: not
	// stored; ignored for those not claimed).
	ClaimRefs(ctx context.Context, customers, refs []string) (others []message.ID, errs []error, settle func(ids []message.ID))
	// KeepRef tells the cluster that this node's store holds (customer,
	// ref) under id, when the store answers a resubmission: a claim this
	// node left unsettled (a stop between its store and its settle) is
	// settled then. Best effort; the store has answered.
	KeepRef(ctx context.Context, customer, ref string, id message.ID)
}

// claimRefs runs before the store: it drops from msgs (and slot) every
// message another node accepted under its client reference, answering its
// id as a duplicate, and every one the cluster cannot vouch for now,
// answering a retryable error. It returns the messages kept and settle,
// to call with the store's answers to them (nil: no reference claimed).
// The claims of a batch go out at once: each is a replicated write.
func (in *Intake) claimRefs(ctx context.Context, msgs []*message.Message, slot []int, out []Result) ([]*message.Message, []int, func([]store.Accepted)) {
	if err := in.o.Refs.CheckNumber(); err != nil {
		for _, i := range slot {
			in.storeUnavailable.Inc()
			out[i].Err, out[i].RetryAfter = fmt.Errorf("%w: %w", ErrUnavailable, err), 5*time.Second
		}
		return nil, nil, nil
	}
	var (
		wg              sync.WaitGroup
		customers, refs []string
		claim           = make([]int, len(msgs)) // index in refs, -1: none
	)
	for j, m := range msgs {
		claim[j] = -1
		if m.ClientRef == "" {
			continue
		}
		if p, err := in.o.Store.ByClientRef(m.Customer, m.ClientRef); err == nil && p != nil {
			// Accepted here before: the store answers it, no claim. The
			// bucket hears of it too, beside the claims of the batch.
			wg.Go(func() { in.o.Refs.KeepRef(ctx, m.Customer, m.ClientRef, p.ID) })
			continue
		}
		claim[j] = len(refs)
		customers, refs = append(customers, m.Customer), append(refs, m.ClientRef)
	}
	var (
		others []message.ID
		errs   []error
		settle func([]message.ID)
	)
	if len(refs) > 0 {
		others, errs, settle = in.o.Refs.ClaimRefs(ctx, customers, refs)
	}
	wg.Wait()
	kept, keptSlot := msgs[:0], slot[:0]
	var keptClaim []int // by index in kept
	for j, c := range claim {
		r := &out[slot[j]]
		switch {
		case c < 0:
		case errs[c] != nil:
			in.storeUnavailable.Inc()
			r.Err, r.RetryAfter = fmt.Errorf("%w: %w", ErrUnavailable, errs[c]), time.Second
			continue
		case others[c] != 0:
			r.ID, r.Duplicate = others[c], true
			in.duplicates.Inc()
			continue
		}
		kept, keptSlot, keptClaim = append(kept, msgs[j]), append(keptSlot, slot[j]), append(keptClaim, c)
	}
	if settle == nil {
		return kept, keptSlot, nil
	}
	return kept, keptSlot, func(acc []store.Accepted) {
		ids := make([]message.ID, len(refs))
		for k, c := range keptClaim {
			if c >= 0 && acc[k].Err == nil {
				ids[c] = acc[k].ID
			}
		}
		settle(ids)
	}
}
