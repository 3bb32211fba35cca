package relay

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// A slow carrier builds a backlog; past its bound the relay answers
// THROTTLED with a retry time from the drain rate, and takes messages
// again once the backlog has drained. Nothing accepted is lost.
func TestBacklogBoundThrottlesAndRecovers(t *testing.T) {
	const bound = 20
	h := newHarness(t, func(s *setup) {
		s.cfg.Admission.MaxBacklog = bound
		// Binds at 1/s drain 2-3 messages a second: the one-by-one
		// submits below outrun that while each takes under 300 ms (one
		// run at load 30 took 300 ms a submit and reached the bound after
		// 52). At 20/s a bind, a submit slower than about 20 ms let the
		// carrier keep up, and the bound was never reached.
		for i := range s.cfg.Carriers {
			s.cfg.Carriers[i].TPS = 1
		}
	})
	u := h.connect("shop")
	var accepted []string
	var throttled *upstreampb.SubmitResp
	for i := 0; i < 10*bound && throttled == nil; i++ {
		r := h.submit(u, sms(fmt.Sprintf("bl-%d", i), "배송 안내"))
		switch r.Status {
		case upstreampb.Status_OK:
			accepted = append(accepted, r.MessageId)
		case upstreampb.Status_THROTTLED:
			throttled = r
		default:
			t.Fatalf("submit %d: %v %s", i, r.Status, r.Reason)
		}
	}
	if throttled == nil {
		t.Fatalf("%d submits past a backlog bound of %d were all accepted", 10*bound, bound)
	}
	ra := time.Duration(throttled.RetryAfterMs) * time.Millisecond
	if ra < time.Second || ra > time.Minute || !strings.Contains(throttled.Reason, "admission.max_backlog") {
		t.Fatalf("THROTTLED after %d accepted: retry after %s, %q; want 1s–60s naming the bound", len(accepted), ra, throttled.Reason)
	}
	t.Logf("THROTTLED after %d accepted: retry after %s: %s", len(accepted), ra, throttled.Reason)
	if n := h.counter(`relay_admission_throttled_total`); n == 0 {
		t.Fatal("relay_admission_throttled_total did not count the refusal")
	}
	// The backlog drains at the carrier's pace; then submits are taken
	// again, and every accepted message gets its report. How far past the
	// bound the backlog went depends on how fast the submits above came
	// (admission reads the backlog every 50 ms): 48 at load 36. So the
	// wait allows a second a message accepted, the slowest the binds
	// drain, beyond the usual limit.
	var again *upstreampb.SubmitResp
	drain := 30*time.Second + time.Duration(len(accepted))*time.Second
	h.waitForWithin(drain, "a submit accepted again", func() bool {
		again = h.submit(u, sms("bl-again", "다시 보냄"))
		return again.Status == upstreampb.Status_OK
	})
	for _, id := range append(accepted, again.MessageId) {
		if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("accepted %s ended %v", id, rep.State)
		}
	}
}

// TestScheduledCountTowardBacklog: messages scheduled an hour ahead wait in
// the store, and count toward max_backlog: past the bound a submit for now
// is answered THROTTLED naming them. Once their hour has come they are
// sent, and submits are taken again.
func TestScheduledCountTowardBacklog(t *testing.T) {
	const bound = 5
	h := newHarness(t, func(s *setup) { s.cfg.Admission.MaxBacklog = bound })
	u := h.connect("shop")
	at := h.now.Now().Add(time.Hour)
	var scheduled []string
	for i := range bound {
		s := sms(fmt.Sprintf("sched-%d", i), "한 시간 뒤")
		s.SendAtMs = at.UnixMilli()
		r := h.submit(u, s)
		if r.Status != upstreampb.Status_OK {
			t.Fatalf("scheduled submit %d: %v %s", i, r.Status, r.Reason)
		}
		scheduled = append(scheduled, r.MessageId)
	}
	if n := h.d.Store().Scheduled(); n != bound {
		t.Fatalf("store holds %d scheduled, want %d", n, bound)
	}
	// Admission decides again every 50 ms: a submit right after the last
	// scheduled one may still be taken.
	var throttled *upstreampb.SubmitResp
	tries := 0
	h.waitFor("a submit for now THROTTLED", func() bool {
		tries++
		throttled = h.submit(u, sms(fmt.Sprintf("now-%d", tries), "지금"))
		return throttled.Status == upstreampb.Status_THROTTLED
	})
	if !strings.Contains(throttled.Reason, "admission.max_backlog") || !strings.Contains(throttled.Reason, "scheduled") {
		t.Fatalf("THROTTLED %q; want it to name the bound and the scheduled messages", throttled.Reason)
	}
	h.now.Advance(time.Hour)
	for _, id := range scheduled {
		if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("scheduled %s ended %v", id, rep.State)
		}
	}
	var again *upstreampb.SubmitResp
	h.waitFor("a submit for now accepted", func() bool {
		tries++
		again = h.submit(u, sms(fmt.Sprintf("now-%d", tries), "지금"))
		return again.Status == upstreampb.Status_OK
	})
	h.waitReport(u, again.MessageId)
}
