package client

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestRedialDelayJitter: the wait before a redial stays within half the
// backoff and all of it, reaches both ends, and differs between clients,
// so that the clients a node dropped do not dial it again all at once.
func TestRedialDelayJitter(t *testing.T) {
	for _, b := range []time.Duration{redialMin, 800 * time.Millisecond, redialMax} {
		lo := redialDelay(b, func(int64) int64 { return 0 })
		hi := redialDelay(b, func(n int64) int64 { return n - 1 })
		if lo != b/2 || hi != b {
			t.Errorf("backoff %v: waits from %v to %v, want %v to %v", b, lo, hi, b/2, b)
		}
		seen := map[time.Duration]bool{}
		r := rand.New(rand.NewPCG(1, 2))
		for range 100 {
			d := redialDelay(b, r.Int64N)
			if d < b/2 || d > b {
				t.Fatalf("backoff %v: wait %v", b, d)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("backoff %v: 100 clients drew %d distinct waits", b, len(seen))
		}
	}
}
