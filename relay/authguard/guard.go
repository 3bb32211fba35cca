package authguard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrThrottled is wrapped by every refusal of [Guard.Admit]; the message
// says which rule refused.
var ErrThrottled = errors.New("authguard: throttled")

// Source is the throttling key of an address: the IPv4 address itself, or
// the /64 holding an IPv6 address. The zero Addr gives the zero Prefix.
func Source(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	switch {
	case a.Is4():
		return netip.PrefixFrom(a, 32)
	case a.Is6():
		p, _ := a.Prefix(64)
		return p
	}
	return netip.Prefix{}
}

// Config sets a [Guard]'s budgets. The zero value of a field means its
// default.
type Config struct {
	FailRate  float64 // wrong secrets per second per (account, source); default 1
	FailBurst int     // default 5

	AccountFailRate  float64 // wrong secrets per second per account, all sources; default 2
	AccountFailBurst int     // default 20

	CheckRate  float64 // secret checks per second, all strangers together; default 100
	CheckBurst int     // default 20; known sources have a budget of the same size

	KnownFor time.Duration // how long a success makes a source known; default 24h
	MaxKeys  int           // entries per table; default 10,000

	Now func() time.Time // default time.Now
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defi := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff(&c.FailRate, 1)
	defi(&c.FailBurst, 5)
	deff(&c.AccountFailRate, 2)
	defi(&c.AccountFailBurst, 20)
	deff(&c.CheckRate, 100)
	defi(&c.CheckBurst, 20)
	defi(&c.MaxKeys, 10000)
	if c.KnownFor == 0 {
		c.KnownFor = 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if c.FailRate < 0 || c.FailBurst < 0 || c.AccountFailRate < 0 || c.AccountFailBurst < 0 ||
		c.CheckRate < 0 || c.CheckBurst < 0 || c.MaxKeys < 0 || c.KnownFor < 0 {
		return fmt.Errorf("authguard: negative rate, burst or size")
	}
	return nil
}

// Attempt is one try to prove a secret.
type Attempt struct {
	Account string     // the account claimed; "" when the credential names none
	Known   string     // key of the known-source pass; "" means Account
	Src     netip.Addr // where the attempt comes from
}

type pair struct {
	who string
	src netip.Prefix
}

// Guard applies the rules of the package doc. It is safe for concurrent use.
type Guard struct {
	cfg     Config
	checks  *rate.Limiter // strangers' secret checks
	knownCk *rate.Limiter // known sources' secret checks

	mu struct {
		sync.Mutex
		fails   map[pair]*rate.Limiter
		account map[string]*rate.Limiter
		known   map[pair]time.Time // until when
	}
}

// New builds a guard; cfg's zero fields take their defaults.
func New(cfg Config) *Guard {
	cfg = cfg.WithDefaults()
	g := &Guard{
		cfg:     cfg,
		checks:  rate.NewLimiter(rate.Limit(cfg.CheckRate), cfg.CheckBurst),
		knownCk: rate.NewLimiter(rate.Limit(cfg.CheckRate), cfg.CheckBurst),
	}
	g.mu.fails = make(map[pair]*rate.Limiter)
	g.mu.account = make(map[string]*rate.Limiter)
	g.mu.known = make(map[pair]time.Time)
	return g
}

func (a Attempt) knownKey() pair {
	k := a.Known
	if k == "" {
		k = a.Account
	}
	return pair{k, Source(a.Src)}
}

// Known reports whether the attempt's source succeeded recently for the
// attempt's known key.
func (g *Guard) Known(a Attempt) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.knownLocked(a.knownKey(), g.cfg.Now())
}

func (g *Guard) knownLocked(k pair, now time.Time) bool {
	until, ok := g.mu.known[k]
	return ok && now.Before(until)
}

// Admit decides whether a's secret may be checked now: nil, or an error
// wrapping ErrThrottled that names the rule, or ctx's error if the global
// budget had no token before ctx ended. Call Failed or Succeeded after the
// check.
func (g *Guard) Admit(ctx context.Context, a Attempt) error {
	now := g.cfg.Now()
	src := Source(a.Src)
	g.mu.Lock()
	known := g.knownLocked(a.knownKey(), now)
	err := g.refusedLocked(a, src, known, now)
	g.mu.Unlock()
	if err != nil {
		return err
	}
	lim := g.checks
	if known {
		lim = g.knownCk
	}
	if r := lim.ReserveN(now, 1); r.OK() {
		if d := r.DelayFrom(now); d > 0 {
			if dl, ok := ctx.Deadline(); ok && d > time.Until(dl) {
				r.CancelAt(now) // it would not come in time: refuse now, hold nothing
				return fmt.Errorf("%w: secret checks over budget (%g/s)", ErrThrottled, g.cfg.CheckRate)
			}
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				r.CancelAt(g.cfg.Now())
				return fmt.Errorf("%w: secret checks over budget (%g/s): %w", ErrThrottled, g.cfg.CheckRate, ctx.Err())
			}
		}
	}
	return nil
}

func (g *Guard) refusedLocked(a Attempt, src netip.Prefix, known bool, now time.Time) error {
	if known && a.Known != "" {
		// The credential itself succeeded from here before: whoever is
		// failing at this source, it is not the holder of this one.
		return nil
	}
	account := a.Account
	if l := g.mu.fails[pair{account, src}]; l != nil && l.TokensAt(now) < 1 {
		return fmt.Errorf("%w: more than %d wrong secrets from this source (refills at %g/s)", ErrThrottled, g.cfg.FailBurst, g.cfg.FailRate)
	}
	if known {
		return nil
	}
	if account != "" {
		if l := g.mu.account[account]; l != nil && l.TokensAt(now) < 1 {
			return fmt.Errorf("%w: more than %d wrong secrets for this account from new sources (refills at %g/s)", ErrThrottled, g.cfg.AccountFailBurst, g.cfg.AccountFailRate)
		}
	}
	if len(g.mu.fails) >= g.cfg.MaxKeys && g.mu.fails[pair{account, src}] == nil {
		g.pruneLocked(now)
		if len(g.mu.fails) >= g.cfg.MaxKeys {
			return fmt.Errorf("%w: failure table full (%d entries)", ErrThrottled, g.cfg.MaxKeys)
		}
	}
	return nil
}

// Failed records a wrong secret.
func (g *Guard) Failed(a Attempt) {
	now := g.cfg.Now()
	k := pair{a.Account, Source(a.Src)}
	g.mu.Lock()
	defer g.mu.Unlock()
	take(g.mu.fails, k, rate.Limit(g.cfg.FailRate), g.cfg.FailBurst, g.cfg.MaxKeys, now)
	if a.Account != "" {
		take(g.mu.account, a.Account, rate.Limit(g.cfg.AccountFailRate), g.cfg.AccountFailBurst, g.cfg.MaxKeys, now)
	}
}

// Succeeded makes a's source known for its known key.
func (g *Guard) Succeeded(a Attempt) {
	now := g.cfg.Now()
	k := a.knownKey()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.mu.known[k]; !ok && len(g.mu.known) >= g.cfg.MaxKeys {
		for kk, until := range g.mu.known {
			if !now.Before(until) {
				delete(g.mu.known, kk)
			}
		}
		if len(g.mu.known) >= g.cfg.MaxKeys {
			return // remembered sources are a convenience; the table stays bounded
		}
	}
	g.mu.known[k] = now.Add(g.cfg.KnownFor)
}

// take spends one token of m[k]'s bucket, making the bucket if there is room.
func take[K comparable](m map[K]*rate.Limiter, k K, r rate.Limit, burst, maxKeys int, now time.Time) {
	l := m[k]
	if l == nil {
		if len(m) >= maxKeys {
			prune(m, burst, now)
			if len(m) >= maxKeys {
				return
			}
		}
		l = rate.NewLimiter(r, burst)
		m[k] = l
	}
	l.AllowN(now, 1)
}

func (g *Guard) pruneLocked(now time.Time) {
	prune(g.mu.fails, g.cfg.FailBurst, now)
	prune(g.mu.account, g.cfg.AccountFailBurst, now)
}

// prune forgets buckets that have refilled: they hold no memory of failures.
func prune[K comparable](m map[K]*rate.Limiter, burst int, now time.Time) {
	for k, l := range m {
		if l.TokensAt(now) >= float64(burst) {
			delete(m, k)
		}
	}
}
