package relay

import (
	"context"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestWallClockSteppedNoFalseExpiry steps the wall clock back and forth by
// five minutes during the 48-hour window (an NTP correction), with a
// restart at hour 24 in between. Pass: nothing expires while the relay's
// clock reads less than sent + 48 h; the receipt at 47h59m is recorded and
// billed once; the message without a receipt expires once, at 48 h.
// TestResultWindowAcrossRestart covers the receipts at 47h59m and 48h01m
// on a steady clock.
func TestWallClockSteppedNoFalseExpiry(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.cfg.Dispatch.Validity = message.ResultWindow // the 48 h ceiling: deadlines at acceptance + 48h
		s.sims["a"].ReceiptDelay = 47*time.Hour + 59*time.Minute
		s.sims["b"].ReceiptDelay = 1000 * time.Hour // never, in this test
		s.sims["a"].Clock, s.sims["b"].Clock = s.clock, s.clock
		s.cfg.Routes = []route.Config{
			{Prefixes: []string{"010"}, Carriers: []route.Weighted{{Name: "a"}}},
			{Prefixes: []string{"011"}, Carriers: []route.Weighted{{Name: "b"}}},
		}
	})
	u := h.connect("shop")
	r1 := h.submit(u, sms("c-1", "receipted"))
	m2 := sms("c-2", "never receipted")
	m2.Recipient = "0111234567"
	r2 := h.submit(u, m2)
	state := func(id string) message.State {
		m, err := h.d.Store().Get(mustID(t, id))
		if err != nil {
			t.Fatal(err)
		}
		return m.State
	}
	h.waitFor("both sent", func() bool {
		return state(r1.MessageId) == message.StateSent && state(r2.MessageId) == message.StateSent
	})
	noExpiry := func(when string) {
		t.Helper()
		if n := h.d.ExpireNow(context.Background()); n != 0 {
			t.Fatalf("%s: %d messages expired early", when, n)
		}
	}
	steps := []struct {
		d    time.Duration
		when string
	}{
		{time.Hour, "hour 1"},
		{-5 * time.Minute, "stepped back 5 min"},
		{5 * time.Minute, "stepped forward again"},
		{23 * time.Hour, "hour 24"},
	}
	for _, s := range steps {
		h.now.Advance(s.d)
		noExpiry(s.when)
	}
	u.Close()
	h.restart()
	u = h.connect("shop")
	noExpiry("after the restart at hour 24")
	h.now.Advance(23*time.Hour + 50*time.Minute) // 47h50m
	noExpiry("47h50m")
	h.now.Advance(-5 * time.Minute) // 47h45m, stepped back
	noExpiry("47h45m after a step back")
	h.now.Advance(5*time.Minute + 5*time.Minute) // 47h55m, forward past the step
	noExpiry("47h55m after a step forward")
	h.now.Advance(4 * time.Minute) // 47h59m: the receipt of the first
	if rep := h.waitReport(u, r1.MessageId); rep.State != upstreampb.FinalState_DELIVERED {
		t.Fatalf("receipt at 47h59m: %+v", rep)
	}
	noExpiry("47h59m")
	h.now.Advance(time.Minute)
	if n := h.d.ExpireNow(context.Background()); n != 1 {
		t.Fatalf("at 48h: %d expired, want 1", n)
	}
	if rep := h.waitReport(u, r2.MessageId); rep.State != upstreampb.FinalState_EXPIRED {
		t.Fatalf("at 48h: %+v", rep)
	}
	h.now.Advance(-5 * time.Minute) // back into the window: nothing reopens
	if n := h.d.ExpireNow(context.Background()); n != 0 || state(r2.MessageId) != message.StateExpired {
		t.Fatalf("after stepping back past 48h: %d expired, state %v", n, state(r2.MessageId))
	}
	counts, err := h.d.Store().MonthCounts("shop", "2026-11")
	if err != nil || counts[message.ProductSMS] != 1 {
		t.Fatalf("billed %v, %v; want one SMS", counts, err)
	}
	if u.reportCount(r1.MessageId) != 1 || u.reportCount(r2.MessageId) != 1 {
		t.Fatalf("reports: %d and %d, want one each", u.reportCount(r1.MessageId), u.reportCount(r2.MessageId))
	}
}
