package smpp

import (
	"math/rand/v2"
	"time"
)

// backoff is the exponential wait between bind attempts: min, 2·min, … up
// to max, each jittered uniformly to [d/2, d) so that many binds that lost
// their carrier together do not come back in step. Not safe for concurrent
// use: each bind loop owns one.
type backoff struct {
	min, max time.Duration
	next     time.Duration
	rnd      *rand.Rand
}

func newBackoff(lo, hi time.Duration, seed uint64) *backoff {
	return &backoff{min: lo, max: hi, next: lo, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next returns the wait before the next attempt and doubles the base.
func (b *backoff) Next() time.Duration {
	d := b.next
	b.next = min(b.next*2, b.max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(b.rnd.Int64N(int64(d-half)))
}

// Reset starts over from min after a successful bind.
func (b *backoff) Reset() { b.next = b.min }
