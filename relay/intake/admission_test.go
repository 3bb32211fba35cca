package intake

import (
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

type fakeBacklog struct {
	waiting   int
	scheduled int
	drained   uint64
}

func (f *fakeBacklog) Backlog() (int, uint64) { return f.waiting, f.drained }
func (f *fakeBacklog) Scheduled() int         { return f.scheduled }

// The admission control's decisions, on a clock the test moves: a bound in
// messages that holds even when nothing drains, and a bound in time to
// drain at the measured rate.
func TestAdmissionBounds(t *testing.T) {
	b := &fakeBacklog{}
	clock := time.Unix(0, 0)
	a := newAdmission(AdmissionConfig{MaxBacklog: 10_000, MaxBacklogTime: time.Minute}, b, metrics.NewSet())
	a.now = func() time.Time { return clock }
	step := func(d time.Duration, waiting int, drainedPerSec float64) {
		clock = clock.Add(d)
		b.waiting = waiting
		b.drained += uint64(drainedPerSec * d.Seconds())
	}

	step(0, 500, 0)
	if r := a.refuse(); r != nil {
		t.Fatalf("a backlog of 500 refused: %v", r)
	}
	// A carrier down: nothing drains; the message bound still holds, and
	// the wait is the fixed one.
	step(time.Second, 10_000, 0)
	r := a.refuse()
	if r == nil || r.RetryAfter != 10*time.Second || !strings.Contains(r.Reason, "max_backlog") {
		t.Fatalf("10,000 waiting, nothing draining: %+v", r)
	}
	// Draining 1,000/s: 5,000 waiting is 5 s of work, inside a minute.
	step(time.Second, 5_000, 1000)
	if r := a.refuse(); r != nil {
		t.Fatalf("5 s of backlog refused: %v", r)
	}
	// Draining 50/s: 5,000 waiting is 100 s, over the minute; the wait is
	// what brings it a tenth under: (5000 - 0.9×50×60)/50 = 46 s.
	for range 60 {
		step(time.Second, 5_000, 50)
		a.refuse()
	}
	r = a.refuse()
	if r == nil || !strings.Contains(r.Reason, "max_backlog_time") || r.RetryAfter < 40*time.Second || r.RetryAfter > 50*time.Second {
		t.Fatalf("100 s of backlog against a 1 min bound: %+v", r)
	}
	// Drained: taken again.
	step(time.Second, 100, 50)
	if r := a.refuse(); r != nil {
		t.Fatalf("drained backlog refused: %v", r)
	}
	// No bounds at all.
	free := newAdmission(AdmissionConfig{MaxBacklog: -1, MaxBacklogTime: -time.Second}, &fakeBacklog{waiting: 1 << 30}, metrics.NewSet())
	if r := free.refuse(); r != nil {
		t.Fatalf("unbounded admission refused: %v", r)
	}
}

// Scheduled messages are held by the relay, so they count toward the bound
// in messages; they wait for their time, not for a carrier, so they do not
// count in the time to drain.
func TestAdmissionCountsScheduled(t *testing.T) {
	b := &fakeBacklog{}
	clock := time.Unix(0, 0)
	a := newAdmission(AdmissionConfig{MaxBacklog: 10_000, MaxBacklogTime: time.Minute}, b, metrics.NewSet())
	a.now = func() time.Time { return clock }
	step := func(waiting, scheduled int) {
		clock = clock.Add(time.Second)
		b.waiting, b.scheduled = waiting, scheduled
		b.drained += 50 // 50/s
	}
	for range 10 {
		step(100, 0)
		a.refuse()
	}
	step(100, 9_900)
	r := a.refuse()
	if r == nil || !strings.Contains(r.Reason, "admission.max_backlog") || !strings.Contains(r.Reason, "9900 of them scheduled") {
		t.Fatalf("100 waiting and 9,900 scheduled against a bound of 10,000: %+v", r)
	}
	// 2,000 to send at 50/s is 40 s, inside the minute; the 5,000
	// scheduled do not make it 140 s.
	step(2_000, 5_000)
	if r := a.refuse(); r != nil {
		t.Fatalf("2,000 waiting and 5,000 scheduled refused: %v", r)
	}
}

// Submits faster than the backlog is read: the messages admitted since the
// last read count toward the bound, so the bound holds within one read's
// interval however fast they come (a relay that answers a submit in 0.2
// ms admitted 200 past a bound of 20 before the next read, 50 ms later).
func TestAdmissionCountsWhatItAdmitted(t *testing.T) {
	b := &fakeBacklog{}
	clock := time.Unix(0, 0)
	a := newAdmission(AdmissionConfig{MaxBacklog: 20}, b, metrics.NewSet())
	a.now = func() time.Time { return clock } // frozen: no read falls due
	admitted := 0
	for range 200 {
		if a.refuse() != nil {
			break
		}
		a.admit(1)
		admitted++
		b.waiting++ // nothing drains
	}
	if admitted != 20 {
		t.Fatalf("%d admitted one by one against a bound of 20 within one read's interval, want 20", admitted)
	}
	// Drained meanwhile: the read the bound forced shows it, and
	// messages are taken again once the wait has passed.
	b.waiting = 0
	clock = clock.Add(time.Minute)
	if r := a.refuse(); r != nil {
		t.Fatalf("after the backlog drained: %v", r)
	}
}
