package dispatch

import (
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// A message its submitter scheduled (message.Message.NotBefore, SMPP's
// schedule_delivery_time) waits in the dispatcher's schedule until that
// time on the wall clock, then is routed like any other; it is still
// accepted in the store, so a restart finds it again (Recover → Enqueue)
// and holds it again. Its deadline is the one set at acceptance, which the
// door kept at least door.MinSendWindow after the send time, and the
// expiry scan ends it there whatever happened. Scheduled messages are not
// in the backlog that admission control bounds: they are not waiting for a
// carrier yet.

// scheduleLook is the longest the schedule sleeps before it reads the wall
// clock again: a clock that is stepped (by NTP, or a test's) is noticed
// within it.
const scheduleLook = time.Second

// holdScheduled puts the messages whose time has not come into the
// schedule and returns the others; ms itself is left as it is.
func (d *Dispatcher) holdScheduled(ms []*message.Message) []*message.Message {
	var now time.Time
	var rest []*message.Message // nil while nothing is held
	for i, m := range ms {
		if !m.NotBefore.IsZero() {
			if now.IsZero() {
				now = d.now()
			}
			if m.NotBefore.After(now) {
				if rest == nil {
					rest = append(make([]*message.Message, 0, len(ms)), ms[:i]...)
				}
				d.scheduled.add(m, m.NotBefore)
				continue
			}
		}
		if rest != nil {
			rest = append(rest, m)
		}
	}
	if rest == nil {
		return ms
	}
	return rest
}
