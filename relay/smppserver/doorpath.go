package smppserver

import (
	"context"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// DoorPath is the Backend of a relay: the customer registry's SMPP
// passwords, the door's checks, one AcceptBatch per batch, and the store's
// report outbox. Accepted hands the new messages on (to the dispatcher);
// WatchFunc is the composition root's report wake-up. The composition root
// builds one; tests use it with a real store.
type DoorPath struct {
	Registry  *customer.Registry
	Door      *door.Checker
	Store     *store.Store
	Now       func() time.Time // nil: time.Now
	Accepted  func([]*message.Message)
	WatchFunc func(customerID string) (<-chan struct{}, func())
}

var _ Backend = (*DoorPath)(nil)

func (d *DoorPath) Authenticate(ctx context.Context, systemID, password string) (*customer.Customer, error) {
	c, err := d.Registry.AuthenticateSMPP(systemID, password)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	return c, nil
}

func (d *DoorPath) Accept(ctx context.Context, customerID string, reqs []door.Request, out []Answer) {
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	c := d.Registry.Get(customerID) // the latest snapshot: a suspension takes effect at once
	msgs := make([]*message.Message, 0, len(reqs))
	slot := make([]int, 0, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		out[i] = Answer{}
		product, refusal := d.Door.Check(c, *r, now)
		if refusal != nil {
			out[i].Refusal = refusal
			continue
		}
		rcpt, _ := door.NormalizeRecipient(r.Recipient)
		msgs = append(msgs, &message.Message{
			Customer: customerID, Product: product, Ingress: message.IngressSMPP,
			Sender: customer.NormalizeNumber(r.Sender), Recipient: rcpt,
			Text: r.Text, Subject: r.Subject, AcceptedAt: now,
		})
		slot = append(slot, i)
	}
	if len(msgs) == 0 {
		return
	}
	acc := make([]store.Accepted, len(msgs))
	_ = d.Store.AcceptBatch(ctx, msgs, acc) // per-message errors are in acc
	fresh := msgs[:0]
	for j, a := range acc {
		o := &out[slot[j]]
		if a.Err != nil {
			o.Err = a.Err // not durable, so not accepted
			continue
		}
		o.ID, o.Dup = a.ID, a.Dup
		if !a.Dup {
			m := msgs[j]
			m.ID, m.State = a.ID, message.StateAccepted
			fresh = append(fresh, m)
		}
	}
	if d.Accepted != nil && len(fresh) > 0 {
		d.Accepted(fresh)
	}
}

func (d *DoorPath) Watch(customerID string) (<-chan struct{}, func()) {
	return d.WatchFunc(customerID)
}

func (d *DoorPath) Reports(customerID string, afterSeq uint64, limit int) ([]store.Report, error) {
	return d.Store.Reports(customerID, afterSeq, limit)
}

func (d *DoorPath) AckReports(ctx context.Context, customerID string, seqs ...uint64) error {
	return d.Store.AckReports(ctx, customerID, seqs...)
}

func (d *DoorPath) Message(id message.ID) (*message.Message, error) { return d.Store.Get(id) }
