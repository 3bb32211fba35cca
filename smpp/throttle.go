package smpp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// throttle is a bind's submit rate: a token bucket that starts empty, and a
// slow-down when the SMSC says it is throttling or its queue is full. On
// such an answer submits stop for pause, the rate is halved (down to a
// floor of one per second), and it doubles back every pause without a new
// throttle until it reaches the configured rate again.
//
// The bucket paces; the ceiling is kept by a log of the last TPS grants: a
// submit goes only if the TPS-th one before it went a second ago or more.
// Waiters that wake late (a busy machine) would otherwise all go at once
// on reservations that fell due while they slept.
type throttle struct {
	lim   *rate.Limiter // nil: unlimited
	pause time.Duration
	// pausing is set with mu.until by SlowDown, and cleared once an
	// unlimited throttle's pause is over: until then Wait need not look.
	pausing atomic.Bool

	mu struct {
		sync.Mutex
		base      rate.Limit // the rate of the ceiling: tps − (burst − 1)
		cur       rate.Limit
		until     time.Time   // submits wait until then
		lastSlow  time.Time   // last slow-down or recovery step
		throttled bool        // cur < base
		sent      []time.Time // ring of the last len(sent) grants; zero: free
		next      int         // the oldest grant in sent
		tps       float64     // the ceiling configured (SetRate changes it)
		burst     int
	}
}

// A token bucket of rate r and size b grants up to r + b − 1 in a second
// (b at once, then r − 1 more as they accrue); the carrier's ceiling is per
// second, so the rate is tps − (burst − 1).
func newThrottle(tps float64, burst int, pause time.Duration) *throttle {
	t := &throttle{pause: pause}
	if tps <= 0 {
		return t
	}
	burst = max(burst, 1)
	t.lim = rate.NewLimiter(bucketRate(tps, burst), burst)
	t.mu.tps, t.mu.burst = tps, burst
	t.mu.base = bucketRate(tps, burst)
	t.mu.cur = t.mu.base
	t.mu.sent = make([]time.Time, max(int(tps), 1))
	t.empty(time.Now())
	return t
}

func bucketRate(tps float64, burst int) rate.Limit {
	return rate.Limit(max(tps-float64(burst-1), 1))
}

// setRate changes the ceiling of a throttle made with one to tps (> 0),
// at once: a lower rate holds from the next grant on, and the log of
// grants keeps the last ones, so that no second goes over the new
// ceiling. A slow-down in progress stays below the new rate and recovers
// towards it. A throttle made unlimited stays so.
func (t *throttle) setRate(tps float64) {
	if t.lim == nil || tps <= 0 {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if tps == t.mu.tps {
		return
	}
	t.mu.tps = tps
	t.mu.base = bucketRate(tps, t.mu.burst)
	if !t.mu.throttled || t.mu.cur > t.mu.base {
		t.mu.cur = t.mu.base
		t.mu.throttled = false
	}
	t.lim.SetLimitAt(now, t.mu.cur)
	old := t.mu.sent
	sent := make([]time.Time, max(int(tps), 1))
	// Oldest to newest, the newest kept: they are what the next second
	// is counted against.
	for i := range sent {
		if j := len(old) - len(sent) + i; j >= 0 {
			sent[i] = old[(t.mu.next+j)%len(old)]
		}
	}
	t.mu.sent, t.mu.next = sent, 0
}

// ceiling is the configured rate; 0 when unlimited.
func (t *throttle) ceiling() float64 {
	if t.lim == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.tps
}

// empty drains the bucket; called at every bind so a rebind cannot burst.
func (t *throttle) empty(now time.Time) {
	if t.lim == nil {
		return
	}
	if n := int(t.lim.TokensAt(now)); n > 0 {
		t.lim.ReserveN(now, n)
	}
}

// Wait blocks until one submit may go, or ctx ends. A token taken while a
// pause began (other submits waiting in the bucket when the SMSC said
// "throttled") does not let its submit through the pause: it waits again.
func (t *throttle) Wait(ctx context.Context) error {
	if t.lim == nil && !t.pausing.Load() {
		return nil
	}
	for {
		t.mu.Lock()
		until := t.mu.until
		if t.mu.throttled {
			t.recoverLocked(time.Now())
		}
		t.mu.Unlock()
		if d := time.Until(until); d > 0 {
			tm := time.NewTimer(d)
			select {
			case <-tm.C:
			case <-ctx.Done():
				tm.Stop()
				return ctx.Err()
			}
		}
		if t.lim == nil {
			t.mu.Lock()
			if !time.Now().Before(t.mu.until) {
				t.pausing.Store(false)
			}
			t.mu.Unlock()
			return nil
		}
		if err := t.lim.Wait(ctx); err != nil {
			return err
		}
		for {
			t.mu.Lock()
			now := time.Now()
			if now.Before(t.mu.until) {
				t.mu.Unlock()
				break // a pause began: wait for it and a token again
			}
			free := t.mu.sent[t.mu.next].Add(time.Second)
			if !now.Before(free) {
				t.mu.sent[t.mu.next] = now
				t.mu.next = (t.mu.next + 1) % len(t.mu.sent)
				t.mu.Unlock()
				return nil
			}
			t.mu.Unlock()
			tm := time.NewTimer(free.Sub(now))
			select {
			case <-tm.C:
			case <-ctx.Done():
				tm.Stop()
				return ctx.Err()
			}
		}
	}
}

func (t *throttle) recoverLocked(now time.Time) {
	if now.Sub(t.mu.lastSlow) < t.pause {
		return
	}
	t.mu.lastSlow = now
	t.mu.cur *= 2
	if t.mu.cur >= t.mu.base {
		t.mu.cur = t.mu.base
		t.mu.throttled = false
	}
	t.lim.SetLimitAt(now, t.mu.cur)
}

// SlowDown reacts to ESME_RTHROTTLED / ESME_RMSGQFUL. The answers to a
// whole window can arrive throttled at once: only the first of them, the
// one that starts a pause, halves the rate.
func (t *throttle) SlowDown() {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Before(t.mu.until) {
		return
	}
	t.mu.until = now.Add(t.pause)
	t.mu.lastSlow = t.mu.until
	t.pausing.Store(true)
	if t.lim == nil {
		return
	}
	t.mu.cur = max(t.mu.cur/2, 1)
	t.mu.throttled = t.mu.cur < t.mu.base
	t.lim.SetLimitAt(now, t.mu.cur)
	t.empty(now)
}

// Limit is the current rate, for tests and metrics.
func (t *throttle) Limit() rate.Limit {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lim == nil {
		return rate.Inf
	}
	return t.mu.cur
}
