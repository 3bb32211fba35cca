package intake

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/door"
)

// AdmissionConfig bounds the backlog: the accepted messages not yet handed
// to a carrier or Kakao (the [admission] table). Buffering a burst is what
// the store is for; an unbounded queue is not. Past either bound every
// ingress answers "slow down" (THROTTLED with retry_after, ESME_RTHROTTLED,
// HTTP 429 with Retry-After), with the wait computed from the drain rate,
// until the backlog is back under it.
type AdmissionConfig struct {
	// MaxBacklog bounds the backlog in messages, whatever the drain rate
	// (a carrier down buffers up to it). Default 1,000,000; -1 is no bound.
	MaxBacklog int `toml:"max_backlog"`
	// MaxBacklogTime bounds the backlog in time to drain it at the current
	// delivery rate, so that what is accepted is sent well inside the
	// validity window. It applies once the backlog has minBacklog messages
	// and something is draining. Default a quarter of dispatch.validity,
	// at most 4h; -1s is no bound.
	MaxBacklogTime time.Duration `toml:"max_backlog_time"`
}

// SetDefaults fills the bounds left zero: the time bound is a quarter of
// the validity window, at most 4h.
func (c *AdmissionConfig) SetDefaults(validity time.Duration) {
	if c.MaxBacklog == 0 {
		c.MaxBacklog = 1_000_000
	}
	if c.MaxBacklogTime == 0 {
		c.MaxBacklogTime = 4 * time.Hour
		if validity > 0 {
			c.MaxBacklogTime = min(c.MaxBacklogTime, validity/4)
		}
	}
}

// Validate reports a bound that cannot work.
func (c *AdmissionConfig) Validate(validity time.Duration) error {
	if c.MaxBacklog < -1 {
		return fmt.Errorf("admission.max_backlog %d: want a count of messages, or -1 for no bound", c.MaxBacklog)
	}
	if c.MaxBacklogTime > 0 && validity > 0 && c.MaxBacklogTime > validity/2 {
		return fmt.Errorf("admission.max_backlog_time %s: want at most half of dispatch.validity (%s), so a backlog is sent inside it",
			c.MaxBacklogTime, validity)
	}
	return nil
}

// Backlog is the dispatcher as admission sees it.
type Backlog interface {
	// Backlog returns the messages waiting to be sent and a running count
	// of the legs that have left the queue (sent, delivered or failed).
	Backlog() (waiting int, drained uint64)
	// Scheduled returns the messages accepted for a later send time. They
	// count toward MaxBacklog, since the relay holds them, but not toward
	// the time to drain: they are not waiting for a carrier yet.
	Scheduled() int
}

const (
	// minBacklog is the backlog below which the time bound does not apply:
	// a rate estimated from a few messages says little.
	minBacklog = 1000
	// admitEvery is how often the decision is made again: the hot path
	// reads the last one, unless what it admitted since may have reached
	// the bound (refresh).
	admitEvery = 50 * time.Millisecond
	// rateHalfLife smooths the drain rate.
	rateHalfLife = 5 * time.Second
)

// admission decides, every admitEvery, whether new messages are taken.
type admission struct {
	cfg     AdmissionConfig
	backlog Backlog
	now     func() time.Time // monotonic: rates, not the wall clock

	wait atomic.Int64 // retry after, ns; 0 admits
	// admitted counts the messages admitted since the backlog was last
	// read: with them the bound holds between reads, however fast
	// submits come.
	admitted atomic.Int64

	mu          sync.Mutex
	next        time.Time // when to decide again
	last        time.Time // of the last rate sample
	lastDrained uint64
	rate        float64 // legs drained per second, smoothed
	waiting     int     // to send now
	scheduled   int     // to send later
}

func newAdmission(cfg AdmissionConfig, b Backlog, set *metrics.Set) *admission {
	cfg.SetDefaults(0)
	a := &admission{cfg: cfg, backlog: b, now: time.Now}
	set.NewGauge(`relay_admission_backlog`, func() float64 { _, n, _ := a.state(); return float64(n) })
	set.NewGauge(`relay_admission_scheduled`, func() float64 { a.refresh(); return float64(a.scheduledNow()) })
	set.NewGauge(`relay_admission_max_backlog`, func() float64 { return float64(a.cfg.MaxBacklog) })
	set.NewGauge(`relay_admission_drain_rate`, func() float64 { r, _, _ := a.state(); return r })
	set.NewGauge(`relay_admission_drain_seconds`, func() float64 { _, _, s := a.state(); return s })
	return a
}

// state is the last drain rate, backlog (scheduled messages included) and
// estimated time to drain what waits to be sent now.
func (a *admission) state() (rate float64, backlog int, drainSeconds float64) {
	a.refresh()
	a.mu.Lock()
	defer a.mu.Unlock()
	backlog = a.waiting + a.scheduled
	if a.rate <= 0 {
		if a.waiting == 0 {
			return 0, backlog, 0
		}
		return 0, backlog, -1
	}
	return a.rate, backlog, float64(a.waiting) / a.rate
}

// admit counts n messages admitted after refuse said nil.
func (a *admission) admit(n int) { a.admitted.Add(int64(n)) }

// refuse returns the refusal for a new message, or nil to admit it.
func (a *admission) refuse() *door.Refusal {
	a.refresh()
	wait := time.Duration(a.wait.Load())
	if wait == 0 {
		return nil
	}
	rate, n, secs := a.state()
	r := &door.Refusal{Rule: door.RuleThrottled, Field: "", RetryAfter: wait, Value: strconv.Itoa(n)}
	switch {
	case a.cfg.MaxBacklog >= 0 && n >= a.cfg.MaxBacklog:
		r.Limit = strconv.Itoa(a.cfg.MaxBacklog)
		r.Reason = fmt.Sprintf("the relay's backlog is %d messages (%d of them scheduled), at its bound of %d (admission.max_backlog); retry after %s",
			n, a.scheduledNow(), a.cfg.MaxBacklog, wait)
	default:
		r.Limit = a.cfg.MaxBacklogTime.String()
		r.Reason = fmt.Sprintf("the relay's backlog of %d messages takes %s to send at %.0f/s, over its bound of %s (admission.max_backlog_time); retry after %s",
			n, time.Duration(secs*float64(time.Second)).Round(time.Second), rate, a.cfg.MaxBacklogTime, wait)
	}
	r.Measured, r.Max = int64(n), int64(a.cfg.MaxBacklog)
	return r
}

func (a *admission) scheduledNow() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.scheduled
}

// refresh samples the backlog and decides again when admitEvery passed.
func (a *admission) refresh() {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	// While admitting, the backlog is read again before its time once
	// what was read plus what was admitted since reaches the bound.
	reached := a.wait.Load() == 0 && a.cfg.MaxBacklog >= 0 &&
		a.waiting+a.scheduled+int(a.admitted.Load()) >= a.cfg.MaxBacklog
	if now.Before(a.next) && !reached {
		return
	}
	a.next = now.Add(admitEvery)
	a.admitted.Store(0)
	waiting, drained := a.backlog.Backlog()
	a.waiting, a.scheduled = waiting, a.backlog.Scheduled()
	if a.last.IsZero() {
		a.last, a.lastDrained = now, drained
	} else if dt := now.Sub(a.last).Seconds(); dt >= 0.25 {
		sample := float64(drained-a.lastDrained) / dt
		if a.rate == 0 {
			a.rate = sample // no history to smooth against
		} else {
			w := 1 - math.Exp2(-dt/rateHalfLife.Seconds())
			a.rate += w * (sample - a.rate)
		}
		a.last, a.lastDrained = now, drained
	}
	a.wait.Store(int64(a.decide()))
}

// decide is the wait before new messages are taken again, 0 to take them.
// The wait is the time the drain needs to bring the backlog a tenth under
// the bound it broke, between 1 s and 60 s (10 s when nothing drains).
func (a *admission) decide() time.Duration {
	n, rate := a.waiting, a.rate
	var excess float64
	switch {
	case a.cfg.MaxBacklog >= 0 && n+a.scheduled >= a.cfg.MaxBacklog:
		excess = float64(n+a.scheduled) - 0.9*float64(a.cfg.MaxBacklog)
	case a.cfg.MaxBacklogTime > 0 && n >= minBacklog && rate > 0 &&
		float64(n)/rate > a.cfg.MaxBacklogTime.Seconds():
		excess = float64(n) - 0.9*rate*a.cfg.MaxBacklogTime.Seconds()
	default:
		return 0
	}
	if rate <= 0 {
		return 10 * time.Second
	}
	wait := time.Duration(excess / rate * float64(time.Second))
	return min(max(wait, time.Second), time.Minute).Round(time.Millisecond)
}
