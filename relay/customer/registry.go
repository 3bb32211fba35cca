package customer

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Change names what a registry write did, for an [Observer].
type Change string

const (
	ChangeAddSender    Change = "add_sender"
	ChangeRemoveSender Change = "remove_sender"
	ChangeSuspend      Change = "suspend"
	ChangeResume       Change = "resume"
	ChangeEndDate      Change = "end_date"
	ChangePut          Change = "put"
	ChangeAddAPIKey    Change = "add_api_key"
	ChangeRevokeAPIKey Change = "revoke_api_key"
)

// Observer is told of every change before it takes effect; the daemon uses
// it to persist runtime changes. If it returns an error the change is not
// made and the error is returned to the caller. It is called with the
// registry's write lock held: it must not call back into the registry.
type Observer interface {
	CustomerChanged(change Change, c *Customer) error
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(change Change, c *Customer) error

// CustomerChanged calls f.
func (f ObserverFunc) CustomerChanged(change Change, c *Customer) error { return f(change, c) }

// Options configures a [Registry].
type Options struct {
	Observer Observer     // may be nil
	Logger   *slog.Logger // may be nil: no logs
	// Reserved numbers no customer may register: the company's
	// representative number (digits only).
	Reserved []string
	// Shared numbers several customers may register (digits only).
	Shared []string
}

// Registry is the set of customers: read lock-free, written copy-on-write.
type Registry struct {
	snap     atomic.Pointer[snapshot]
	obs      Observer
	log      *slog.Logger
	reserved []string

	mu struct {
		sync.Mutex // serialises writers; readers never take it
		shared     map[string]bool
	}
}

type snapshot struct {
	byID     map[string]*Customer
	byAPIKey map[apiKeyHash]*Customer
	dummy    secretHash // verified against for unknown ids, to cost the same
}

// NewRegistry makes a registry holding customers (as built by [Load]).
// Customers with duplicate ids: the last wins.
func NewRegistry(customers []*Customer, opts Options) *Registry {
	r := &Registry{obs: opts.Observer, log: opts.Logger, reserved: opts.Reserved}
	r.mu.shared = map[string]bool{}
	for _, n := range opts.Shared {
		r.mu.shared[NormalizeNumber(n)] = true
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	m := make(map[string]*Customer, len(customers))
	for _, c := range customers {
		m[c.ID] = c
	}
	r.snap.Store(newSnapshot(m))
	return r
}

func newSnapshot(m map[string]*Customer) *snapshot {
	// Every check costs the largest iteration count in use (see check): an
	// unknown id, a customer without that kind of secret and every known
	// one alike, so the time of an answer tells nothing of the id.
	iter := MinIterations
	for _, c := range m {
		iter = max(iter, c.secret.iter, c.smppPassword.iter)
	}
	keys := map[apiKeyHash]*Customer{}
	for _, c := range m {
		for _, k := range c.apiKeys {
			keys[k] = c
		}
	}
	return &snapshot{
		byID:     m,
		byAPIKey: keys,
		dummy:    secretHash{iter: iter, salt: make([]byte, saltLen), key: make([]byte, keyLen)},
	}
}

// Get returns the customer with the id, or nil. It never blocks.
func (r *Registry) Get(id string) *Customer {
	return r.snap.Load().byID[id]
}

// All returns every customer, sorted by id.
func (r *Registry) All() []*Customer {
	m := r.snap.Load().byID
	out := make([]*Customer, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id])
	}
	return out
}

// Authenticate returns the customer if id exists and secret is its secret,
// and ErrAuth otherwise. Every call does the same hashing work (see check).
// A suspended customer authenticates; the door refuses its messages with
// the reason.
func (r *Registry) Authenticate(id, secret string) (*Customer, error) {
	s := r.snap.Load()
	c := s.byID[id]
	var h secretHash // an unknown id checks against nothing, at the same cost
	if c != nil {
		h = c.secret
	}
	if !s.check(h, secret) {
		return nil, ErrAuth
	}
	return c, nil
}

// check verifies secret against h (the zero hash never matches) at the
// snapshot's one cost: h's own iterations, then padding up to the largest
// count in use.
func (s *snapshot) check(h secretHash, secret string) bool {
	if h.iter == 0 {
		s.dummy.verify(secret)
		return false
	}
	ok := h.verify(secret)
	pad(s.dummy.iter - h.iter)
	return ok
}

// AuthenticateSMPP is Authenticate for the SMPP server's bind: it checks
// password against the customer's SMPP password (see
// Config.SMPPPasswordHash), at the same cost and with the same answer for
// an unknown id, a customer without an SMPP password and a wrong one.
func (r *Registry) AuthenticateSMPP(id, password string) (*Customer, error) {
	s := r.snap.Load()
	c := s.byID[id]
	var h secretHash
	if c != nil {
		h = c.smppPassword
	}
	if !s.check(h, password) {
		return nil, ErrAuth
	}
	return c, nil
}

// Put adds or replaces a customer; build it with [Load] so it has a secret
// (a customer without one never authenticates).
func (r *Registry) Put(c *Customer) error {
	return r.update(c.ID, ChangePut, func(*Customer) (*Customer, error) { return c.clone(), nil }, true)
}

// AddSender registers a sender number ('-' and spaces allowed) for the
// customer, effective for the next message, without a registration record:
// for tests and tools. The admin API uses [Registry.RegisterSender].
func (r *Registry) AddSender(id, number string) error {
	num, err := checkSender(number)
	if err != nil {
		return err
	}
	if slices.Contains(r.reserved, num) {
		return fmt.Errorf("%w: %s is the company's representative number", ErrReserved, num)
	}
	return r.update(id, ChangeAddSender, func(c *Customer) (*Customer, error) {
		if c.HasSender(num) {
			return nil, fmt.Errorf("%w: sender %s of customer %q", ErrDuplicate, num, id)
		}
		if len(c.Senders) >= MaxSenders {
			return nil, fmt.Errorf("%w: customer %q has %d, at most %d sender numbers may be registered", ErrTooManySenders, id, len(c.Senders), MaxSenders)
		}
		c = c.clone()
		c.Senders = append(c.Senders, num)
		return c, nil
	}, false)
}

// RemoveSender unregisters a sender number, effective for the next message.
func (r *Registry) RemoveSender(id, number string) error {
	num := NormalizeNumber(number)
	return r.update(id, ChangeRemoveSender, func(c *Customer) (*Customer, error) {
		i := slices.Index(c.Senders, num)
		if i < 0 {
			return nil, fmt.Errorf("%w: sender %s of customer %q", ErrNotFound, num, id)
		}
		c = c.clone()
		c.Senders = slices.Delete(c.Senders, i, i+1)
		c.Registrations = slices.DeleteFunc(c.Registrations, func(r Registration) bool { return r.Number == num })
		return c, nil
	}, false)
}

// Suspend refuses the customer's new messages with reason from now on.
func (r *Registry) Suspend(id, reason string) error {
	if reason == "" {
		return fmt.Errorf("%w: suspending %q needs a reason", ErrConfig, id)
	}
	return r.update(id, ChangeSuspend, func(c *Customer) (*Customer, error) {
		c = c.clone()
		c.Suspended, c.SuspendReason = true, reason
		return c, nil
	}, false)
}

// Resume lifts a suspension.
func (r *Registry) Resume(id string) error {
	return r.update(id, ChangeResume, func(c *Customer) (*Customer, error) {
		c = c.clone()
		c.Suspended, c.SuspendReason = false, ""
		return c, nil
	}, false)
}

// SetEndDate sets the last day of the customer's contract, "YYYY-MM-DD"
// ("" while it runs).
func (r *Registry) SetEndDate(id, date string) error {
	if err := checkEndDate(date); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrConfig, id, err)
	}
	return r.update(id, ChangeEndDate, func(c *Customer) (*Customer, error) {
		c = c.clone()
		c.EndDate = date
		return c, nil
	}, false)
}

func checkEndDate(date string) error {
	if date == "" {
		return nil
	}
	if d, err := time.Parse(time.DateOnly, date); err != nil || d.Format(time.DateOnly) != date {
		return fmt.Errorf("end_date %q: want YYYY-MM-DD", date)
	}
	return nil
}

// update applies fn to the current customer under the write lock, asks the
// observer, and publishes a new snapshot.
func (r *Registry) update(id string, change Change, fn func(*Customer) (*Customer, error), create bool) error {
	return r.updateOrCreate(id, change, func(_ *snapshot, c *Customer) (*Customer, error) { return fn(c) },
		func(next *Customer) error { return r.obs.CustomerChanged(change, next) }, create)
}

// updateWith is update of an existing customer, with fn given the
// snapshot and notify asking the observer.
func (r *Registry) updateWith(id string, change Change, fn func(*snapshot, *Customer) (*Customer, error), notify func(*Customer) error) error {
	return r.updateOrCreate(id, change, fn, notify, false)
}

func (r *Registry) updateOrCreate(id string, change Change, fn func(*snapshot, *Customer) (*Customer, error), notify func(*Customer) error, create bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	cur := old.byID[id]
	if cur == nil && !create {
		return fmt.Errorf("%w: %q", ErrUnknown, id)
	}
	next, err := fn(old, cur)
	if err != nil {
		return err
	}
	if r.obs != nil {
		if err := notify(next); err != nil {
			return fmt.Errorf("customer: %s for %q not persisted: %w", change, id, err)
		}
	}
	m := maps.Clone(old.byID)
	m[id] = next
	r.snap.Store(newSnapshot(m))
	r.log.Info("customer changed", "change", string(change), "customer", next)
	return nil
}
