package alimtalk

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Sentinel errors.
var (
	// ErrUnknownTemplate is an AlimTalk naming a template code its sender
	// profile has not registered.
	ErrUnknownTemplate = errors.New("alimtalk: template not registered")
	// ErrNotFound is a removal of a template that is not there.
	ErrNotFound = errors.New("alimtalk: no such template")
	// ErrInUse is a change a [Guard] refused: the template is in use (by
	// a payment subscription) as it is.
	ErrInUse = errors.New("alimtalk: template in use")
)

// Observer is told of every change before it takes effect (removed is
// true for a removal); the daemon persists run-time changes with it. If it
// returns an error the change is not made. It is called with the
// registry's write lock held and must not call back into the registry.
type Observer interface {
	TemplateChanged(t *Template, removed bool) error
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(t *Template, removed bool) error

// TemplateChanged calls f.
func (f ObserverFunc) TemplateChanged(t *Template, removed bool) error { return f(t, removed) }

// Guard is asked before every change (next is nil for a removal) whether
// the template may change from old (nil if new); an error, which should
// wrap ErrInUse, refuses the change. It is called with the registry's
// write lock held and must not call back into the registry.
type Guard func(old, next *Template) error

// Options configures a [Registry].
type Options struct {
	Observer Observer     // may be nil
	Guard    Guard        // may be nil, and set later with [Registry.SetGuard]
	Logger   *slog.Logger // may be nil: no logs
}

type key struct{ senderKey, code string }

// compiled is a registered template ready for matching.
type compiled struct {
	t       Template
	text    pattern
	buttons []buttonPattern
}

// Registry holds the templates of every sender profile: read lock-free,
// written copy-on-write, effective for the next message.
type Registry struct {
	snap atomic.Pointer[map[key]*compiled]
	obs  Observer
	log  *slog.Logger

	mu    sync.Mutex // serialises writers; readers never take it
	guard Guard      // under mu
}

// NewRegistry validates ts and makes a registry of them. A (sender
// profile, code) listed twice is an error.
func NewRegistry(ts []Template, opts Options) (*Registry, error) {
	r := &Registry{obs: opts.Observer, log: opts.Logger, guard: opts.Guard}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	m := make(map[key]*compiled, len(ts))
	for i := range ts {
		c, err := compileTemplate(ts[i])
		if err != nil {
			return nil, err
		}
		k := key{c.t.SenderKey, c.t.Code}
		if m[k] != nil {
			return nil, fmt.Errorf("%w: sender profile %q template %q listed twice", ErrConfig, k.senderKey, k.code)
		}
		m[k] = c
	}
	r.snap.Store(&m)
	return r, nil
}

func compileTemplate(t Template) (*compiled, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	t.MayBeEmpty = slices.Clone(t.MayBeEmpty)
	t.Buttons = slices.Clone(t.Buttons)
	c := &compiled{t: t}
	c.text, _ = compile(t.Text, t.MayBeEmpty) // Validate compiled it
	for _, b := range t.Buttons {
		bp := buttonPattern{b: b, hasMobile: b.URLMobile != "", hasPC: b.URLPC != ""}
		bp.mobile, _ = compile(b.URLMobile, nil)
		bp.pc, _ = compile(b.URLPC, nil)
		c.buttons = append(c.buttons, bp)
	}
	return c, nil
}

// Match checks an AlimTalk of sender profile senderKey naming template
// code: its text must be the template's with the variables filled in, and
// its buttons (parsed by [ParseButtons]) the template's. It returns nil,
// an error wrapping ErrUnknownTemplate, or a *MismatchError. It does not
// allocate for a message that matches (unless its text has "\r\n").
func (r *Registry) Match(senderKey, code, text string, buttons []Button) error {
	c := (*r.snap.Load())[key{senderKey, code}]
	if c == nil {
		return fmt.Errorf("%w: sender profile %q has no template %q", ErrUnknownTemplate, senderKey, code)
	}
	s := crlf(text)
	if ok, at, want := c.text.match(s); !ok {
		return textMismatch(&c.t, s, at, want)
	}
	if len(buttons) > 0 || len(c.buttons) > 0 {
		if m := matchButtons(&c.t, c.buttons, buttons); m != nil {
			return m
		}
	}
	return nil
}

// Get returns the template, or nil. The result must not be modified.
func (r *Registry) Get(senderKey, code string) *Template {
	if c := (*r.snap.Load())[key{senderKey, code}]; c != nil {
		return &c.t
	}
	return nil
}

// ForSenderKeys returns the templates of the given sender profiles,
// sorted by sender profile and code.
func (r *Registry) ForSenderKeys(keys ...string) []Template {
	var out []Template
	for k, c := range *r.snap.Load() {
		if slices.Contains(keys, k.senderKey) {
			out = append(out, c.t)
		}
	}
	slices.SortFunc(out, func(a, b Template) int {
		if a.SenderKey != b.SenderKey {
			return strings.Compare(a.SenderKey, b.SenderKey)
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out
}

// Put adds or replaces a template after validating it.
func (r *Registry) Put(t Template) error {
	c, err := compileTemplate(t)
	if err != nil {
		return err
	}
	return r.update(key{t.SenderKey, t.Code}, c)
}

// Remove drops a template.
func (r *Registry) Remove(senderKey, code string) error {
	return r.update(key{senderKey, code}, nil)
}

// SetGuard sets the guard of later changes: the daemon sets it once what
// it guards (the payment subscriptions) is loaded, after the journal of
// changes has been replayed.
func (r *Registry) SetGuard(g Guard) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.guard = g
}

func (r *Registry) update(k key, c *compiled) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.snap.Load()
	told := c
	if c == nil {
		if told = old[k]; told == nil {
			return fmt.Errorf("%w: sender profile %q template %q", ErrNotFound, k.senderKey, k.code)
		}
	}
	if r.guard != nil {
		var prev, next *Template
		if o := old[k]; o != nil {
			prev = &o.t
		}
		if c != nil {
			next = &c.t
		}
		if err := r.guard(prev, next); err != nil {
			return err
		}
	}
	if r.obs != nil {
		if err := r.obs.TemplateChanged(&told.t, c == nil); err != nil {
			return fmt.Errorf("alimtalk: template %q of %q not persisted: %w", k.code, k.senderKey, err)
		}
	}
	m := maps.Clone(old)
	if c == nil {
		delete(m, k)
	} else {
		m[k] = c
	}
	r.snap.Store(&m)
	r.log.Info("alimtalk template changed", "sender_key", k.senderKey, "code", k.code, "removed", c == nil)
	return nil
}

// Reset replaces every template with ts, then replays the run-time changes
// over them (replay calls put and remove in order; a removal of a template
// ts lacks is no error), all under the writers' lock, so that no run-time
// change made meanwhile is lost. check, when set, sees the result before it
// takes effect (get looks a template up in it); its error, or any other,
// leaves the registry as it was. The observer and the guard are not
// called: the changes replayed are already recorded.
func (r *Registry) Reset(ts []Template, replay func(put func(Template) error, remove func(senderKey, code string) error) error,
	check func(get func(senderKey, code string) *Template) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, err := NewRegistry(ts, Options{})
	if err != nil {
		return err
	}
	remove := func(senderKey, code string) error {
		if err := next.Remove(senderKey, code); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	}
	if replay != nil {
		if err := replay(next.Put, remove); err != nil {
			return err
		}
	}
	if check != nil {
		if err := check(next.Get); err != nil {
			return err
		}
	}
	r.snap.Store(next.snap.Load())
	return nil
}
