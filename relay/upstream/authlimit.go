package upstream

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// authLimiter counts wrong secrets per source address. An address that has
// used up its burst is refused before the Handler sees its secret, so
// guessing costs the guesser time and not the relay.
type authLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu struct {
		sync.Mutex
		by map[netip.Addr]*rate.Limiter
	}
}

// maxAuthEntries bounds the limiter's memory under a flood of addresses.
const maxAuthEntries = 10000

func newAuthLimiter(r float64, burst int, now func() time.Time) *authLimiter {
	a := &authLimiter{limit: rate.Limit(r), burst: burst, now: now}
	a.mu.by = make(map[netip.Addr]*rate.Limiter)
	return a
}

// allowed reports whether addr may try a secret now.
func (a *authLimiter) allowed(addr netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.mu.by[addr]
	return l == nil || l.TokensAt(a.now()) >= 1
}

// failed records a wrong secret from addr.
func (a *authLimiter) failed(addr netip.Addr) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.mu.by[addr]
	if l == nil {
		if len(a.mu.by) >= maxAuthEntries {
			a.pruneLocked(now)
		}
		l = rate.NewLimiter(a.limit, a.burst)
		a.mu.by[addr] = l
	}
	l.AllowN(now, 1)
}

// pruneLocked forgets addresses whose bucket has refilled; if that is not
// enough, it forgets all of them (an attacker with that many addresses is
// slowed by the connection limits instead).
func (a *authLimiter) pruneLocked(now time.Time) {
	for k, l := range a.mu.by {
		if l.TokensAt(now) >= float64(a.burst) {
			delete(a.mu.by, k)
		}
	}
	if len(a.mu.by) >= maxAuthEntries {
		clear(a.mu.by)
	}
}
