package smppserver

import (
	"context"
	"errors"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// ErrUnauthenticated is what Backend.Authenticate returns for an unknown
// system_id, a customer without an SMPP password, or a wrong password.
var ErrUnauthenticated = errors.New("smppserver: unauthenticated")

// Backend is the relay as the SMPP server sees it: the same door, the same
// durable acceptance and the same report outbox as every other ingress.
type Backend interface {
	// Authenticate checks an SMPP bind's system_id and password.
	Authenticate(ctx context.Context, systemID, password string) (*customer.Customer, error)

	// Accept checks each request at the door and stores the ones that
	// pass in one synced batch, then hands them to the dispatcher. It
	// fills out[i] for reqs[i]; it returns after the acceptance is
	// durable, or refused, or failed.
	Accept(ctx context.Context, customerID string, reqs []door.Request, out []Answer)

	// Watch returns a channel that receives a value whenever the
	// customer's outbox may have new reports, and a function that stops
	// the watch.
	Watch(customerID string) (<-chan struct{}, func())

	// Reports, AckReports and Message read the store's report outbox and
	// the message records, as the store does.
	Reports(customerID string, afterSeq uint64, limit int) ([]store.Report, error)
	AckReports(ctx context.Context, customerID string, seqs ...uint64) error
	Message(id message.ID) (*message.Message, error)
}

// Answer is the outcome of one request: the message's id once it is
// durable (Dup when the same request was accepted before), or the door's
// refusal, or an error that means it was not stored and may be sent again.
type Answer struct {
	ID      message.ID
	Dup     bool
	Refusal *door.Refusal
	Err     error
}
