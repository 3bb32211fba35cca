package customer

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sender numbers belong to one owner: a number is registered to one
// customer only, unless an operator marks it shared; the company's
// representative number is reserved (only payment AlimTalk falls back
// from it) and no customer may register it. Each registration records who
// added the number, when, and the reference of its proof document
// (통신서비스 이용증명원; the relay keeps the reference, not the file).

// ErrReserved is returned for a reserved number.
var ErrReserved = errors.New("customer: reserved number")

// ErrOwned is returned for a number another customer has registered.
var ErrOwned = errors.New("customer: number registered to another customer")

// Registration is how a sender number came to be a customer's.
type Registration struct {
	Number  string    `json:"number"`
	AddedBy string    `json:"added_by"`          // who registered it; "config" for the configuration file
	AddedAt time.Time `json:"added_at,omitzero"` // zero for a number from the configuration file
	Proof   string    `json:"proof,omitempty"`   // reference of the proof document (통신서비스 이용증명원)
	Shared  bool      `json:"shared,omitempty"`  // the number was marked shared when registered
}

// Registration returns the record of the customer's sender number, or one
// saying it came from the configuration file.
func (c *Customer) Registration(number string) Registration {
	for _, r := range c.Registrations {
		if r.Number == number {
			return r
		}
	}
	return Registration{Number: number, AddedBy: "config"}
}

// CheckNumbers checks the senders of every customer table: no reserved
// number, and no number of two customers unless it is shared.
func CheckNumbers(cfgs []Config, reserved, shared []string) error {
	owner := map[string]string{}
	var errs []error
	for _, c := range cfgs {
		for _, s := range c.Senders {
			num := NormalizeNumber(s)
			if slices.Contains(reserved, num) {
				errs = append(errs, fmt.Errorf("%w: customer %q: sender %s is reserved (the company's representative number)", ErrConfig, c.ID, num))
			}
			if o, ok := owner[num]; ok && o != c.ID && !slices.Contains(shared, num) {
				errs = append(errs, fmt.Errorf("%w: sender %s is registered to customers %q and %q; list it in shared_senders if both may use it", ErrConfig, num, o, c.ID))
			}
			owner[num] = c.ID
		}
	}
	return errors.Join(errs...)
}

// RegisterSender registers a sender number for the customer, recording
// reg's AddedBy, AddedAt and Proof (all required). The number must not be
// reserved, nor another customer's unless it is shared.
func (r *Registry) RegisterSender(id string, reg Registration) error {
	num, err := checkSender(reg.Number)
	if err != nil {
		return err
	}
	if reg.AddedBy == "" || reg.AddedAt.IsZero() || reg.Proof == "" {
		return fmt.Errorf("%w: registering sender %s needs who adds it, when, and the proof document's reference (통신서비스 이용증명원)", ErrConfig, num)
	}
	if slices.Contains(r.reserved, num) {
		return fmt.Errorf("%w: %s is the company's representative number; only payment AlimTalk falls back from it", ErrReserved, num)
	}
	reg.Number = num
	return r.update(id, ChangeAddSender, func(c *Customer) (*Customer, error) {
		shared := r.mu.shared[num]
		if !shared {
			for _, o := range r.snap.Load().byID {
				if o.ID != id && o.HasSender(num) {
					return nil, fmt.Errorf("%w: %s is customer %q's; an operator must mark it shared first", ErrOwned, num, o.ID)
				}
			}
		}
		if c.HasSender(num) {
			return nil, fmt.Errorf("%w: sender %s of customer %q", ErrDuplicate, num, id)
		}
		if len(c.Senders) >= MaxSenders {
			return nil, fmt.Errorf("%w: customer %q has %d, at most %d sender numbers may be registered", ErrTooManySenders, id, len(c.Senders), MaxSenders)
		}
		c = c.clone()
		reg.Shared = shared
		c.Senders = append(c.Senders, num)
		c.Registrations = append(c.Registrations, reg)
		return c, nil
	}, false)
}

// SharedObserver, if the registry's observer implements it, is told of
// every change of a number's shared mark before it takes effect.
type SharedObserver interface {
	SenderShared(number string, shared bool) error
}

// MarkShared marks a sender number shared (several customers may register
// it) or no longer shared. It does not remove existing registrations.
func (r *Registry) MarkShared(number string, shared bool) error {
	num, err := checkSender(number)
	if err != nil {
		return err
	}
	if slices.Contains(r.reserved, num) {
		return fmt.Errorf("%w: %s cannot be shared", ErrReserved, num)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if so, ok := r.obs.(SharedObserver); ok {
		if err := so.SenderShared(num, shared); err != nil {
			return fmt.Errorf("customer: shared mark of %s not persisted: %w", num, err)
		}
	}
	if shared {
		r.mu.shared[num] = true
	} else {
		delete(r.mu.shared, num)
	}
	return nil
}

// ResetShared replaces the set of numbers marked shared without telling
// the observer: the marks are recorded already (by another node of a
// cluster).
func (r *Registry) ResetShared(numbers []string) {
	m := make(map[string]bool, len(numbers))
	for _, n := range numbers {
		m[NormalizeNumber(n)] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mu.shared = m
}

// Shared reports whether number is marked shared.
func (r *Registry) Shared(number string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.shared[NormalizeNumber(number)]
}

// Reserved reports whether number is reserved.
func (r *Registry) Reserved(number string) bool {
	return slices.Contains(r.reserved, NormalizeNumber(number))
}
