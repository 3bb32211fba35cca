package smppserver

import (
	"context"
	"errors"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// ErrUnauthenticated is what Backend.Authenticate returns for an unknown
// system_id, a customer without an SMPP password, or a wrong password.
var ErrUnauthenticated = errors.New("smppserver: unauthenticated")

// Backend is the relay as the SMPP server sees it: the same door and
// durable acceptance as every other ingress (intake.Acceptor) and the same
// report outbox.
type Backend interface {
	// Authenticate checks an SMPP bind's system_id and password.
	Authenticate(ctx context.Context, systemID, password string) (*customer.Customer, error)

	intake.Acceptor

	// Watch returns a channel that receives a value whenever the
	// customer's outbox may have new reports, and a function that stops
	// the watch; a nil channel means the customer's reports go another way
	// (webhooks) and its binds get no receipts.
	Watch(customerID string) (<-chan struct{}, func())

	// Reports, AckReports and Message read the store's report outbox and
	// the message records, as the store does.
	Reports(customerID string, afterSeq uint64, limit int) ([]store.Report, error)
	AckReports(ctx context.Context, customerID string, seqs ...uint64) error
	Message(id message.ID) (*message.Message, error)
}

// Relay is the Backend of a relay: the registry's SMPP passwords, the
// shared accept path, the store's outbox and the report hub.
type Relay struct {
	Registry *customer.Registry
	intake.Acceptor
	Store *store.Store
	Hub   *intake.Hub
	// ReportsElsewhere, when set, names the customers whose reports go
	// another way (a report_url): their binds get no receipts.
	ReportsElsewhere func(customerID string) bool
}

var _ Backend = (*Relay)(nil)

func (r *Relay) Authenticate(ctx context.Context, systemID, password string) (*customer.Customer, error) {
	c, err := r.Registry.AuthenticateSMPP(systemID, password)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	return c, nil
}

func (r *Relay) Watch(customerID string) (<-chan struct{}, func()) {
	if r.ReportsElsewhere != nil && r.ReportsElsewhere(customerID) {
		return nil, nil
	}
	return r.Hub.Watch(customerID)
}

func (r *Relay) Reports(customerID string, afterSeq uint64, limit int) ([]store.Report, error) {
	return r.Store.Reports(customerID, afterSeq, limit)
}

func (r *Relay) AckReports(ctx context.Context, customerID string, seqs ...uint64) error {
	return r.Store.AckReports(ctx, customerID, seqs...)
}

func (r *Relay) Message(id message.ID) (*message.Message, error) { return r.Store.Get(id) }
