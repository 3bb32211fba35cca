package door

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/msgrelay/relay/relay/customer"
)

// limiters holds one token bucket per customer id, made on first use.
// Lookups are lock-free (an immutable map behind an atomic pointer); adding
// a customer or changing its rate copies the map, which is rare.
type limiters struct {
	m  atomic.Pointer[map[string]*bucket]
	mu struct {
		sync.Mutex // serialises writers of m
	}
}

// bucket is immutable apart from the limiter, which is safe for concurrent use.
type bucket struct {
	lim   *rate.Limiter
	rate  float64
	burst int
}

// allow takes one token from c's bucket at now.
func (l *limiters) allow(c *customer.Customer, now time.Time) bool {
	if c.Rate <= 0 {
		return true // not rate limited (see customer.Customer.Rate)
	}
	if m := l.m.Load(); m != nil {
		if b := (*m)[c.ID]; b != nil && b.rate == c.Rate && b.burst == c.Burst {
			return b.lim.AllowN(now, 1)
		}
	}
	return l.update(c, now).AllowN(now, 1)
}

// update adds c's bucket, or follows a change of c's rate, and returns it.
func (l *limiters) update(c *customer.Customer, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	var next map[string]*bucket
	if old := l.m.Load(); old != nil {
		if b := (*old)[c.ID]; b != nil && b.rate == c.Rate && b.burst == c.Burst {
			return b.lim
		}
		next = maps.Clone(*old)
	} else {
		next = make(map[string]*bucket, 1)
	}
	b := next[c.ID]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(c.Rate), c.Burst)}
	} else {
		b.lim.SetLimitAt(now, rate.Limit(c.Rate))
		b.lim.SetBurstAt(now, c.Burst)
		b = &bucket{lim: b.lim}
	}
	b.rate, b.burst = c.Rate, c.Burst
	next[c.ID] = b
	l.m.Store(&next)
	return b.lim
}

// wait is how long until c's bucket holds a token at now.
func (l *limiters) wait(c *customer.Customer, now time.Time) time.Duration {
	m := l.m.Load()
	if m == nil || (*m)[c.ID] == nil || c.Rate <= 0 {
		return 0
	}
	missing := 1 - (*m)[c.ID].lim.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / c.Rate * float64(time.Second)).Round(time.Millisecond)
}
