package door

import (
	"maps"
	"math"
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
	m atomic.Pointer[map[string]*bucket]
	// share is the part of each customer's rate this relay takes, as
	// float64 bits; 0 means all of it. In a cluster each node takes an
	// equal part (Checker.SetRateShare).
	share atomic.Uint64
	mu    struct {
		sync.Mutex // serialises writers of m
	}
}

// bucket is immutable apart from the limiter, which is safe for concurrent use.
type bucket struct {
	lim   *rate.Limiter
	rate  float64
	burst int
}

// setShare sets the part of every rate this relay takes, in (0, 1].
func (l *limiters) setShare(share float64) {
	if share <= 0 || share >= 1 {
		share = 0
	}
	l.share.Store(math.Float64bits(share))
}

// limit is c's rate and burst on this relay: its share of them, the burst
// at least one message.
func (l *limiters) limit(c *customer.Customer) (float64, int) {
	share := math.Float64frombits(l.share.Load())
	if share == 0 {
		return c.Rate, c.Burst
	}
	return c.Rate * share, max(1, int(math.Ceil(float64(c.Burst)*share)))
}

// allow takes one token from c's bucket at now.
func (l *limiters) allow(c *customer.Customer, now time.Time) bool {
	if c.Rate <= 0 {
		return true // not rate limited (see customer.Customer.Rate)
	}
	r, burst := l.limit(c)
	if m := l.m.Load(); m != nil {
		if b := (*m)[c.ID]; b != nil && b.rate == r && b.burst == burst {
			return b.lim.AllowN(now, 1)
		}
	}
	return l.update(c.ID, r, burst, now).AllowN(now, 1)
}

// update adds a customer's bucket, or follows a change of its rate (or of
// this relay's share), and returns it.
func (l *limiters) update(id string, r float64, burst int, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	var next map[string]*bucket
	if old := l.m.Load(); old != nil {
		if b := (*old)[id]; b != nil && b.rate == r && b.burst == burst {
			return b.lim
		}
		next = maps.Clone(*old)
	} else {
		next = make(map[string]*bucket, 1)
	}
	b := next[id]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(r), burst)}
	} else {
		b.lim.SetLimitAt(now, rate.Limit(r))
		b.lim.SetBurstAt(now, burst)
		b = &bucket{lim: b.lim}
	}
	b.rate, b.burst = r, burst
	next[id] = b
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
	r, _ := l.limit(c)
	return time.Duration(missing / r * float64(time.Second)).Round(time.Millisecond)
}
