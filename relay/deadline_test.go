package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestUnsentMessageExpiresAtDeadline: with a wrong carrier password no
// bind comes up and nothing is ever sent. Pass: the accepted SMS is final
// (expired, not billed) with one report at acceptance + validity, not
// "accepted" forever.
func TestUnsentMessageExpiresAtDeadline(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.noBindWait = true
		for i := range s.cfg.Carriers {
			s.cfg.Carriers[i].Password = "wrong"
		}
	})
	u := h.connect("shop")
	r := h.submit(u, sms("never-sent", "no carrier takes this"))
	if r.Status != upstreampb.Status_OK {
		t.Fatalf("submit: %v", r)
	}
	h.now.Advance(46 * time.Hour)
	if n := h.d.ExpireNow(context.Background()); n != 0 {
		t.Fatalf("expired %d at 46h", n)
	}
	h.now.Advance(time.Hour) // acceptance + 47h, the default validity
	if n := h.d.ExpireNow(context.Background()); n != 1 {
		t.Fatalf("expired %d at the deadline, want 1", n)
	}
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_EXPIRED || rep.Billed != upstreampb.Product_PRODUCT_UNSPECIFIED {
		t.Fatalf("report %+v", rep)
	}
	if took := time.Duration(rep.FinalAtMs-rep.AcceptedAtMs) * time.Millisecond; took > h.cfg.Dispatch.Validity {
		t.Fatalf("final %v after acceptance, validity %v", took, h.cfg.Dispatch.Validity)
	}
	h.now.Advance(31 * 24 * time.Hour)
	h.d.ExpireNow(context.Background())
	if n := u.reportCount(r.MessageId); n != 1 {
		t.Fatalf("%d reports, want 1", n)
	}
}

// TestKakaoOutageBoundedAttempts: Kakao answers 5xx to every call. Pass:
// after max_attempts the message falls back to SMS (it has a fallback)
// instead of being retried until it expires, and the admin-visible record
// counts every attempt.
func TestKakaoOutageBoundedAttempts(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.RetryAfter = time.Millisecond
	}), func(s *setup) { s.cfg.Dispatch.MaxAttempts = 2 })
	h.kakao.Burst(kakaotest.OutcomeHTTP500, 1000)
	u := h.connect("shop")
	r := h.submit(u, alimtalk("outage", "01012345678", upstreampb.Fallback_FALLBACK_SMS))
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_DELIVERED || rep.Billed != upstreampb.Product_PRODUCT_SMS {
		t.Fatalf("report %+v: want delivered by the SMS fallback", rep)
	}
	m, err := h.d.Store().Get(mustID(t, r.MessageId))
	if err != nil {
		t.Fatal(err)
	}
	if want := h.cfg.Dispatch.MaxAttempts + 1; int(m.Attempts) != want {
		t.Fatalf("attempts %d, want %d (max_attempts at Kakao, one SMS)", m.Attempts, want)
	}
}

// TestFallbackInheritsDeadline: Kakao says 3005 and, just before the
// deadline, that the handset cannot receive it. Pass: no SMS leg with a
// fresh clock; the message fails at once with a reason naming the
// deadline, final within validity of its acceptance.
func TestFallbackInheritsDeadline(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01056565656": "3005"}
		c.FinalAfter, c.FinalCode = 47*time.Hour-500*time.Millisecond, "3018"
	}), func(s *setup) {
		s.sims["a"].ReceiptDelay, s.sims["b"].ReceiptDelay = 47*time.Hour, 47*time.Hour
		s.sims["a"].Clock, s.sims["b"].Clock = s.clock, s.clock
	})
	u := h.connect("shop")
	r := h.submit(u, alimtalk("late-fallback", "01056565656", upstreampb.Fallback_FALLBACK_SMS))
	id := mustID(t, r.MessageId)
	h.waitFor("kakao-sent", func() bool {
		m, err := h.d.Store().Get(id)
		return err == nil && m.State == message.StateKakaoSent && h.d.disp.KakaoAwaiting() == 1
	})
	h.now.Advance(47*time.Hour - 500*time.Millisecond)
	h.d.disp.PollKakao(context.Background())
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_FAILED || !strings.Contains(rep.ResultReason, "deadline") {
		t.Fatalf("report %+v: want failed for want of time", rep)
	}
	if took := time.Duration(rep.FinalAtMs-rep.AcceptedAtMs) * time.Millisecond; took > h.cfg.Dispatch.Validity {
		t.Fatalf("final %v after acceptance", took)
	}
	if n := len(h.carrierSubmits()); n != 0 {
		t.Fatalf("%d SMS sent with no time left", n)
	}
}

// TestCutFallbackSurvivesRestart: an AlimTalk falls back to SMS with its
// text cut to the SMS limit while no carrier is up; the relay restarts
// before the SMS leg is sent. Pass: the carrier gets the cut text (80
// bytes), billed as SMS, never the whole text.
func TestCutFallbackSurvivesRestart(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01034343434": "3018"} // cannot receive: falls back
	}), func(s *setup) {
		s.noBindWait = true
		for i := range s.cfg.Carriers {
			s.cfg.Carriers[i].Password = "wrong"
		}
	})
	u := h.connect("shop")
	sub := alimtalk("cut", "01034343434", upstreampb.Fallback_FALLBACK_SMS)
	sub.Product, sub.TemplateCode = upstreampb.Product_PRODUCT_FRIENDTALK_TEXT, "" // free text, no template
	sub.Text = strings.Repeat("가", 60)                                             // 120 EUC-KR bytes
	sub.Truncate = true
	r := h.submit(u, sub)
	if r.Status != upstreampb.Status_OK {
		t.Fatalf("submit: %v", r)
	}
	id := mustID(t, r.MessageId)
	h.waitFor("the SMS leg queued", func() bool {
		m, err := h.d.Store().Get(id)
		return err == nil && m.State == message.StateQueued && m.Leg == 1
	})
	u.Close()
	for i := range h.cfg.Carriers {
		h.cfg.Carriers[i].Password = "pw"
	}
	h.noBindWait = false
	h.restart()
	u = h.connect("shop")
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_DELIVERED || rep.Billed != upstreampb.Product_PRODUCT_SMS {
		t.Fatalf("report %+v", rep)
	}
	subs := h.carrierSubmits()
	if len(subs) != 1 {
		t.Fatalf("%d submits", len(subs))
	}
	if n := len(subs[0].SM.ShortMessage); n != 80 {
		t.Fatalf("the SMS leg went out as %d bytes, want the decided 80", n)
	}
}
