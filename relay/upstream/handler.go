package upstream

import (
	"context"
	"errors"
	"net/netip"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Errors a Handler returns from Authenticate; the server answers Bind with
// the matching status. Any other error is answered STORE_UNAVAILABLE (a
// temporary condition: the client retries the bind later).
var (
	ErrUnauthenticated   = errors.New("upstream: unauthenticated")
	ErrCustomerSuspended = errors.New("upstream: customer suspended")
)

// Session is what Authenticate returns for a bound connection; the server
// hands it back on every call for that connection.
type Session interface {
	// Customer is the authenticated customer id. The server counts
	// connections per customer under it.
	Customer() string
}

// Handler is the business side of the protocol, implemented by the daemon.
// The server owns the connections, the framing, the windows and the limits;
// the handler decides.
type Handler interface {
	// Authenticate checks a customer's secret. It returns ErrUnauthenticated
	// for a wrong customer or secret (rate-limited per source address by the
	// server), ErrCustomerSuspended, or a Session.
	Authenticate(ctx context.Context, customer, secret string, remote netip.Addr) (Session, error)

	// SubmitBatch answers a batch of submits from one connection: it fills
	// resps[i] (already allocated, zero) for reqs[i]. It may block (for
	// example until a group commit is synced); the server calls it from a
	// fixed number of workers per connection, with every submit that was
	// waiting when the worker became free, up to Config.MaxBatch. It must
	// not keep reqs or resps after it returns, and it must return soon after
	// ctx is cancelled (the connection died, or Close gave up waiting); a
	// status left unset is answered STORE_UNAVAILABLE.
	SubmitBatch(ctx context.Context, s Session, reqs []*upstreampb.Submit, resps []*upstreampb.SubmitResp)

	// Reports returns the source of status reports for a bound session, or
	// nil if the session gets none. The server calls Close on it when the
	// connection ends.
	Reports(s Session) ReportSource
}

// PaymentHandler is implemented by a Handler that takes payment events.
// Without it the server answers PaymentEvent with INVALID_REQUEST.
type PaymentHandler interface {
	PaymentEvent(ctx context.Context, s Session, ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp
}

// ReportSource is one session's view of the durable report outbox. The
// server pushes what Next returns, keeps at most Config.MaxUnackedReports
// unacknowledged, and passes acknowledgements to Ack. Everything not acked
// when the connection ends is the outbox's to hand out again, from the
// start, on the customer's next connection.
type ReportSource interface {
	// Notify receives a value whenever reports after the last Next may have
	// become available (a channel of capacity 1, written without blocking,
	// is the expected shape).
	Notify() <-chan struct{}
	// Next reads up to limit reports with report_seq > after, in
	// increasing report_seq order, and returns those this session sends
	// (not those of messages another door reports) and readTo, the
	// highest report_seq it read, sent or not. readTo ≤ after means none
	// now. Fewer than limit reports means it read all there were: the
	// server reads again only after Notify (or once it has room again
	// after a read that returned limit). The reports may be reused by
	// the next call: the server encodes them before it calls again and
	// keeps none.
	Next(ctx context.Context, after uint64, limit int) (reps []*upstreampb.Report, readTo uint64, err error)
	// Ack records that the client acknowledged these reports. Seqs the
	// server did not send on this connection are filtered out before.
	Ack(ctx context.Context, seqs []uint64) error
	// Close releases the source; no other method is called after it.
	Close()
}
