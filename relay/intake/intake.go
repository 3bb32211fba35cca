package intake

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// Submit is one message as an ingress read it, before the door.
type Submit struct {
	// ClientRef is the client's idempotency key; "" has none.
	ClientRef string
	Request   door.Request
}

// Result is the accept path's answer to one Submit: exactly one of an id
// (new or Duplicate), a Refusal, or Err.
type Result struct {
	ID        message.ID
	Duplicate bool
	// Refusal is the door's: permanent (the rule and the field say why) or,
	// for THROTTLED, to retry after Refusal.RetryAfter.
	Refusal *door.Refusal
	// Err is ErrShuttingDown or ErrUnavailable (wrapped): not accepted,
	// send it again after RetryAfter.
	Err        error
	RetryAfter time.Duration
}

// acceptTimeout bounds a store write of new messages once it is under way;
// only a failing disk comes near it, and then the store fails and the relay
// exits for its restart to recover what was written.
const acceptTimeout = 30 * time.Second

var (
	// ErrShuttingDown: the relay is draining; send again on another
	// connection.
	ErrShuttingDown = errors.New("intake: the relay is shutting down")
	// ErrUnavailable: the store could not make the message durable.
	ErrUnavailable = errors.New("intake: not stored")
)

// Acceptor is what an ingress holds: the composition root hands the same
// one to every ingress.
type Acceptor interface {
	// Accept checks each submit of customer at the door, stores those that
	// pass in one synced batch recording the ingress they came by, hands
	// the new ones to dispatch, and writes each answer to out[i] (len(out)
	// == len(subs)).
	Accept(ctx context.Context, customer string, ingress message.Ingress, subs []Submit, out []Result)
	// Closing reports whether the relay is draining (new work is refused).
	Closing() bool
}

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_accepted_total":                  "Messages accepted from customers, by product.",
	"relay_accepted_duplicates_total":       "Submits answered with a message already accepted under the same client reference.",
	"relay_refused_store_unavailable_total": "Submits refused because the store could not take them.",
	"relay_accept_store_seconds":            "Time to make one batch of accepted submits durable.",
	"relay_admission_backlog":               "Accepted messages not yet handed to a carrier or Kakao, scheduled ones included.",
	"relay_admission_scheduled":             "Accepted messages waiting for the send time their submitter scheduled (in the backlog).",
	"relay_admission_max_backlog":           "The backlog bound in messages ([admission] max_backlog; -1 is none).",
	"relay_admission_drain_rate":            "Legs leaving the backlog per second, smoothed.",
	"relay_admission_drain_seconds":         "Estimated time to send the backlog at the current drain rate (-1 when nothing drains).",
	"relay_admission_throttled_total":       "Submits answered THROTTLED because the backlog was over its bound.",
}

// acceptBuckets: accepting a batch is one group commit.
var acceptBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// Options are an Intake's collaborators.
type Options struct {
	Customers *customer.Registry
	Door      *door.Checker
	Store     *store.Store
	// Enqueue hands newly accepted messages to dispatch, except scheduled
	// ones (NotBefore set): the store keeps those until their time, and
	// dispatch takes them from it then.
	Enqueue func(...*message.Message)
	Now     func() time.Time
	Metrics *metrics.Set
	// Backlog, if set, is the dispatcher's queue, bounded by Admission:
	// past the bound, new messages are answered THROTTLED. Payment events
	// (AcceptChecked) are few and time-critical, and always taken.
	Backlog   Backlog
	Admission AdmissionConfig
	// Refs, on a cluster node, keeps client references unique across the
	// nodes; nil for a relay alone.
	Refs Refs
}

// Intake is the Acceptor.
type Intake struct {
	o       Options
	closing atomic.Bool

	accepted         map[message.Product]*metrics.Counter
	duplicates       *metrics.Counter
	storeUnavailable *metrics.Counter
	acceptSec        *metrics.PrometheusHistogram // a batch of submits made durable
	admission        *admission                   // nil: no bound
	throttled        *metrics.Counter
}

var _ Acceptor = (*Intake)(nil)

// New returns the accept path; its metrics are created in o.Metrics.
func New(o Options) *Intake {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = metrics.NewSet()
	}
	set := o.Metrics
	in := &Intake{o: o,
		accepted:         map[message.Product]*metrics.Counter{},
		duplicates:       set.NewCounter(`relay_accepted_duplicates_total`),
		storeUnavailable: set.NewCounter(`relay_refused_store_unavailable_total`),
		acceptSec:        set.NewPrometheusHistogramExt(`relay_accept_store_seconds`, acceptBuckets),
	}
	for _, p := range message.Products {
		in.accepted[p] = set.NewCounter(fmt.Sprintf(`relay_accepted_total{product=%q}`, p))
	}
	if o.Backlog != nil {
		in.admission = newAdmission(o.Admission, o.Backlog, set)
		in.throttled = set.NewCounter(`relay_admission_throttled_total`)
	}
	return in
}

// Close makes every later Accept answer ErrShuttingDown.
func (in *Intake) Close() { in.closing.Store(true) }

// Closing reports whether Close was called.
func (in *Intake) Closing() bool { return in.closing.Load() }

// Accept implements Acceptor.
func (in *Intake) Accept(ctx context.Context, customerID string, ingress message.Ingress, subs []Submit, out []Result) {
	now := in.o.Now()
	c := in.o.Customers.Get(customerID) // the latest snapshot: a suspension takes effect at once
	msgs := make([]*message.Message, 0, len(subs))
	slot := make([]int, 0, len(subs))
	var full *door.Refusal // the backlog is over its bound
	if in.admission != nil {
		if full = in.admission.refuse(); full == nil {
			in.admission.admit(len(subs))
		}
	}
	for i := range subs {
		s, r := &subs[i], &out[i]
		*r = Result{}
		if in.closing.Load() {
			r.Err, r.RetryAfter = ErrShuttingDown, time.Second
			continue
		}
		if full != nil {
			if in.earlier(customerID, s.ClientRef, r) {
				continue
			}
			in.throttled.Inc()
			rf := *full
			r.Refusal = &rf
			continue
		}
		s.Request.Kakao.Ad = s.Request.IsAd() // an advertisement by its text is stored as one
		s.Request.ClientRef = s.ClientRef     // the door holds it to what the store keeps
		dec, refusal := in.o.Door.Decide(c, s.Request, now)
		if refusal != nil {
			if in.earlier(customerID, s.ClientRef, r) {
				continue
			}
			r.Refusal = refusal
			continue
		}
		dr := &s.Request
		rcpt, _ := door.NormalizeRecipient(dr.Recipient)
		product, subject := dec.Product, dr.Subject
		if product.Kakao() {
			subject = dr.Title
		}
		notBefore := dr.NotBefore
		if !notBefore.After(now) {
			notBefore = time.Time{} // at once
		}
		msgs = append(msgs, &message.Message{
			Customer:  customerID,
			ClientRef: s.ClientRef,
			Ingress:   ingress,
			Product:   product,
			Sender:    customer.NormalizeNumber(dr.Sender),
			Recipient: rcpt,
			Text:      dr.Text,
			Subject:   subject,
			Kakao:     dr.Kakao,
			Fallback:  dec.Fallback, // auto resolved: the leg a Kakao failure sends

			Truncate:   dr.Truncate,
			Receipts:   dr.Receipts,
			AcceptedAt: now,
			// The deadline the store sets (and the door checked the
			// schedule against), set here too so dispatch holds the same.
			Deadline:  message.DeadlineOf(now, in.o.Store.Validity(), dr.Expires),
			NotBefore: notBefore,
		})
		slot = append(slot, i)
	}
	in.commit(ctx, msgs, slot, out, true)
}

// earlier answers a refused submit whose client reference was accepted
// before (say, before the customer was suspended, or before a rate limit
// bit) with the first message, as an idempotent resubmission expects.
func (in *Intake) earlier(customerID, ref string, r *Result) bool {
	if ref == "" {
		return false
	}
	m, err := in.o.Store.ByClientRef(customerID, ref)
	if err != nil || m == nil {
		return false
	}
	r.ID, r.Duplicate = m.ID, true
	in.duplicates.Inc()
	return true
}

// AcceptChecked stores one message that already passed the door, as
// AcceptCheckedBatch does, and returns its id, whether it was a duplicate,
// or the error of its Result.
func (in *Intake) AcceptChecked(ctx context.Context, m *message.Message) (message.ID, bool, error) {
	var out [1]Result
	in.AcceptCheckedBatch(ctx, []*message.Message{m}, out[:])
	return out[0].ID, out[0].Duplicate, out[0].Err
}

// AcceptCheckedBatch stores messages that already passed the door (a
// payment event's, which the payment package expands and checks) in one
// synced batch, hands the new ones to dispatch and writes each answer to
// out[i] (len(out) == len(ms)): an id, new or Duplicate, or Err. The
// messages are not modified.
//
// On a cluster node their client references are claimed across the nodes
// first, all at once, as Accept claims a batch of submits': a message
// another node accepted under its reference is answered with that node's
// id as a duplicate, and one the cluster cannot vouch for now (no quorum,
// another node storing it) gets ErrUnavailable, to send again later. A
// message this node's store holds is answered by the store, with no round
// trip. Payment events are few and time-critical: the backlog bound does
// not apply.
func (in *Intake) AcceptCheckedBatch(ctx context.Context, ms []*message.Message, out []Result) {
	now := in.o.Now()
	msgs := make([]*message.Message, len(ms))
	slot := make([]int, len(ms))
	for i, m := range ms {
		c := *m
		if c.AcceptedAt.IsZero() {
			c.AcceptedAt = now // the deadline runs from here
		}
		msgs[i], slot[i], out[i] = &c, i, Result{}
	}
	in.commit(ctx, msgs, slot, out, false)
}

// commit claims the client references of msgs across the nodes (on a
// cluster node), stores msgs in one synced batch, settles the claims, writes
// each message's answer to out[slot[j]] and hands the new ones to
// dispatch.
//
// submits says msgs are Accept's, from submits it checked at the door: a
// message the store finds invalid is refused (the door checks the same
// limits first), and the store's answers count in the submit metrics. The
// other messages (AcceptCheckedBatch's) get a retryable error for it, and
// only the claims count.
func (in *Intake) commit(ctx context.Context, msgs []*message.Message, slot []int, out []Result, submits bool) {
	var settle func([]store.Accepted)
	if in.o.Refs != nil && len(msgs) > 0 {
		msgs, slot, settle = in.claimRefs(ctx, msgs, slot, out)
	}
	if len(msgs) == 0 {
		return
	}
	acc := make([]store.Accepted, len(msgs))
	start := time.Now()
	// Not ctx: a write cut short by the connection's end may still commit,
	// and a message stored but never handed to dispatch would wait for the
	// next restart (its resubmission is answered as a duplicate).
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), acceptTimeout)
	_ = in.o.Store.AcceptBatch(actx, msgs, acc) // per-message errors are in acc
	cancel()
	if submits {
		in.acceptSec.UpdateDuration(start)
	}
	if settle != nil {
		// Before the answers: once a client has its answer, every node
		// answers a resubmission with the same id.
		settle(acc)
	}
	fresh := msgs[:0]
	for j, a := range acc {
		r := &out[slot[j]]
		if submits && errors.Is(a.Err, store.ErrInvalid) {
			// The store can never keep it as it is: refused for good,
			// never a retry.
			r.Refusal = door.StoreRefusal(a.Err)
			continue
		}
		if a.Err != nil {
			// Not durable, so not accepted: the client sends it again.
			if submits {
				in.storeUnavailable.Inc()
			}
			r.Err, r.RetryAfter = fmt.Errorf("%w: %w", ErrUnavailable, a.Err), time.Second
			continue
		}
		r.ID, r.Duplicate = a.ID, a.Dup
		if a.Dup {
			if submits {
				in.duplicates.Inc()
			}
			continue
		}
		m := msgs[j]
		m.ID, m.State = a.ID, message.StateAccepted
		in.accepted[m.Product].Inc()
		if !m.NotBefore.IsZero() {
			continue // the store holds it until its time; dispatch takes it then
		}
		fresh = append(fresh, m)
	}
	in.o.Enqueue(fresh...)
}
