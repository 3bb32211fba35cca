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
		for i := range s.cfg.Carriers {
			s.cfg.Carriers[i].TPS = 20
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
	// again, and every accepted message gets its report.
	var again *upstreampb.SubmitResp
	h.waitFor("a submit accepted again", func() bool {
		again = h.submit(u, sms("bl-again", "다시 보냄"))
		return again.Status == upstreampb.Status_OK
	})
	for _, id := range append(accepted, again.MessageId) {
		if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("accepted %s ended %v", id, rep.State)
		}
	}
}
