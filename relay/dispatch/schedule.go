package dispatch

import (
	"context"
	"time"
)

// A message its submitter scheduled (message.Message.NotBefore, SMPP's
// schedule_delivery_time) waits in the store's sched table, keyed by its
// send time, from its acceptance on: not in memory, so a restart reads
// none of them and a million scheduled messages cost no heap. Neither the
// intake nor Recover hands it to the dispatcher; releaseScheduled takes
// it from the store when due (store.TakeScheduled) and routes it like any
// other. Its deadline is the one set at acceptance, which the door kept at
// least door.MinSendWindow after the send time, and the expiry scan ends
// it there whatever happened. Scheduled messages count in the backlog that
// admission control bounds in messages (Scheduled), not in its drain time:
// they are not waiting for a carrier yet.

// scheduleLook is how often the sched table is read for messages due: a
// clock that is stepped (by NTP, or a test's) is noticed within it.
const scheduleLook = time.Second

// takeAtOnce bounds the messages one read of the sched table takes.
const takeAtOnce = 512

// releaseScheduled routes the scheduled messages whose time has come,
// every scheduleLook, until ctx ends.
func (d *Dispatcher) releaseScheduled(ctx context.Context) {
	t := time.NewTicker(scheduleLook)
	defer t.Stop()
	for {
		d.ReleaseDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReleaseDue routes every scheduled message due by now, as the periodic
// read does, and returns how many.
func (d *Dispatcher) ReleaseDue(ctx context.Context) int {
	n := 0
	for ctx.Err() == nil {
		ms, err := d.st.TakeScheduled(ctx, d.now(), takeAtOnce)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("dispatch: reading scheduled messages", "err", err)
			}
			return n
		}
		d.pending.push(ms...)
		n += len(ms)
		if len(ms) < takeAtOnce {
			return n
		}
	}
	return n
}

// Scheduled is the number of messages waiting for their send time.
func (d *Dispatcher) Scheduled() int { return d.st.Scheduled() }
