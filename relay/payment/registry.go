package payment

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/msgrelay/relay/relay/message"
)

// Change names what a registry write did, for an [Observer].
type Change string

// Changes.
const (
	ChangePut             Change = "put"
	ChangeRemove          Change = "remove"
	ChangeAddRecipient    Change = "add_recipient"
	ChangeRemoveRecipient Change = "remove_recipient"
)

// Observer is told of every change before it takes effect; the daemon uses
// it to persist runtime changes. For ChangeRemove, s is the subscription
// removed. If it returns an error the change is not made. It is called
// with the registry's write lock held: it must not call back into the
// registry.
type Observer interface {
	SubscriptionChanged(change Change, s *Subscription) error
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(change Change, s *Subscription) error

// SubscriptionChanged calls f.
func (f ObserverFunc) SubscriptionChanged(change Change, s *Subscription) error { return f(change, s) }

// Options configures a [Registry].
type Options struct {
	Observer Observer     // may be nil
	Logger   *slog.Logger // may be nil: no logs
	// Owner, if set, checks that a subscription's customer exists and owns
	// its sender profile; a subscription it refuses is not taken (ErrConfig).
	Owner func(customer, senderKey string) error
	// Templates, if set, checks that a template a subscription renders is
	// registered for its sender profile with its text, so the door will
	// match the notices; a subscription it refuses is not taken (ErrConfig).
	Templates func(senderKey string, t Template) error
	// FallbackSender is the number the fallback SMS/LMS comes from; ""
	// means FallbackSender.
	FallbackSender string
}

// Registry holds the subscriptions by MID: read lock-free, written
// copy-on-write, effective for the next event.
type Registry struct {
	snap     atomic.Pointer[map[string]*Subscription]
	obs      Observer
	owner    func(customer, senderKey string) error
	tmpls    func(senderKey string, t Template) error
	fallback string
	log      *slog.Logger

	mu struct {
		sync.Mutex // serialises writers; readers never take it
	}
}

// NewRegistry validates subs and makes a registry of them. A MID listed
// twice is an error.
func NewRegistry(subs []Subscription, opts Options) (*Registry, error) {
	r := &Registry{obs: opts.Observer, log: opts.Logger, owner: opts.Owner, tmpls: opts.Templates, fallback: opts.FallbackSender}
	if r.fallback == "" {
		r.fallback = FallbackSender
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	m := make(map[string]*Subscription, len(subs))
	for i := range subs {
		s := subs[i].clone()
		s.Normalize()
		if err := r.validate(s); err != nil {
			return nil, err
		}
		if m[s.MID] != nil {
			return nil, fmt.Errorf("%w: MID %q configured twice", ErrConfig, s.MID)
		}
		m[s.MID] = s
	}
	r.snap.Store(&m)
	return r, nil
}

// validate checks s's own rules and, with an Owner, its customer and
// sender profile.
func (r *Registry) validate(s *Subscription) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if r.owner != nil {
		if err := r.owner(s.Customer, s.SenderKey); err != nil {
			return fmt.Errorf("%w: MID %q: %v", ErrConfig, s.MID, err)
		}
	}
	if r.tmpls != nil {
		for _, t := range s.Templates {
			if err := r.tmpls(s.SenderKey, t); err != nil {
				return fmt.Errorf("%w: MID %q: %s %s notice: %v", ErrConfig, s.MID, t.Audience, t.Notice, err)
			}
		}
	}
	return nil
}

// Get returns the subscription of mid, or nil. It never blocks. The
// result must not be modified.
func (r *Registry) Get(mid string) *Subscription {
	return (*r.snap.Load())[mid]
}

// All returns every subscription, sorted by MID.
func (r *Registry) All() []*Subscription {
	m := *r.snap.Load()
	out := make([]*Subscription, 0, len(m))
	for _, mid := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[mid])
	}
	return out
}

// ForCustomer returns the subscriptions billed to customer, sorted by MID.
func (r *Registry) ForCustomer(customer string) []*Subscription {
	var out []*Subscription
	for _, s := range r.All() {
		if s.Customer == customer {
			out = append(out, s)
		}
	}
	return out
}

// Expand looks up the event's MID and expands the event (see [Expand]).
func (r *Registry) Expand(ev Event) ([]message.Message, error) {
	sub := r.Get(ev.MID)
	if sub == nil {
		return nil, fmt.Errorf("%w: %q (event %s)", ErrUnknownMID, ev.MID, ev.ID)
	}
	return expand(ev, sub, r.fallback)
}

// Put adds or replaces the subscription of s.MID after validating it.
func (r *Registry) Put(s Subscription) error {
	c := s.clone()
	c.Normalize()
	if err := r.validate(c); err != nil {
		return err
	}
	return r.update(c.MID, ChangePut, true, func(*Subscription) (*Subscription, error) { return c, nil })
}

// Reset replaces every subscription with subs, validated, without asking
// the observer: the changes are recorded already (by another node of a
// cluster). A subscription that does not validate here is left out and
// named in the error; the others are in force.
func (r *Registry) Reset(subs []Subscription) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	m := make(map[string]*Subscription, len(subs))
	for i := range subs {
		s := subs[i].clone()
		s.Normalize()
		if err := r.validate(s); err != nil {
			errs = append(errs, err)
			continue
		}
		m[s.MID] = s
	}
	r.snap.Store(&m)
	return errors.Join(errs...)
}

// Remove drops the subscription of mid.
func (r *Registry) Remove(mid string) error {
	return r.update(mid, ChangeRemove, false, func(*Subscription) (*Subscription, error) { return nil, nil })
}

// AddRecipient registers a merchant recipient number of mid ('-' and
// spaces allowed); at most MaxRecipients.
func (r *Registry) AddRecipient(mid, number string) error {
	num := normalizeNumber(number)
	if !validMobile(num) {
		return fmt.Errorf("%w: MID %q: merchant recipient %q is not a Korean mobile number", ErrConfig, mid, number)
	}
	return r.update(mid, ChangeAddRecipient, false, func(cur *Subscription) (*Subscription, error) {
		if slices.Contains(cur.Merchant.Recipients, num) {
			return nil, fmt.Errorf("%w: MID %q: merchant recipient %s already registered", ErrConfig, mid, num)
		}
		if len(cur.Merchant.Recipients) >= MaxRecipients {
			return nil, fmt.Errorf("%w: MID %q has %d, at most %d merchant recipients may be registered", ErrTooManyRecipients, mid, len(cur.Merchant.Recipients), MaxRecipients)
		}
		c := cur.clone()
		c.Merchant.Recipients = append(c.Merchant.Recipients, num)
		return c, c.Validate()
	})
}

// RemoveRecipient unregisters a merchant recipient number of mid. The
// last recipient of a merchant with events cannot be removed.
func (r *Registry) RemoveRecipient(mid, number string) error {
	num := normalizeNumber(number)
	return r.update(mid, ChangeRemoveRecipient, false, func(cur *Subscription) (*Subscription, error) {
		i := slices.Index(cur.Merchant.Recipients, num)
		if i < 0 {
			return nil, fmt.Errorf("%w: MID %q: merchant recipient %s", ErrNotFound, mid, num)
		}
		c := cur.clone()
		c.Merchant.Recipients = slices.Delete(c.Merchant.Recipients, i, i+1)
		return c, c.Validate()
	})
}

// update applies fn to the current subscription under the write lock, asks
// the observer and publishes a new snapshot. fn returning nil removes.
func (r *Registry) update(mid string, change Change, create bool, fn func(*Subscription) (*Subscription, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.snap.Load()
	cur := old[mid]
	if cur == nil && !create {
		return fmt.Errorf("%w: %q", ErrUnknownMID, mid)
	}
	next, err := fn(cur)
	if err != nil {
		return err
	}
	told := next
	if next == nil {
		told = cur
	}
	if r.obs != nil {
		if err := r.obs.SubscriptionChanged(change, told); err != nil {
			return fmt.Errorf("payment: %s for MID %q not persisted: %w", change, mid, err)
		}
	}
	m := maps.Clone(old)
	if next == nil {
		delete(m, mid)
	} else {
		m[mid] = next
	}
	r.snap.Store(&m)
	r.log.Info("payment subscription changed", "change", string(change), "mid", mid, "customer", told.Customer)
	return nil
}
