package relay

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestKakaoFaultsBilledOnce sends AlimTalk through every Kakao fault in
// turn: answers held past the client's timeout, 500, 503, 429 with
// Retry-After, connections reset after the request was read, garbage
// answers. Pass: every message delivered, distinct serials accepted and
// billed at Kakao = unique messages (retries reuse the serial: 0 double
// charges), the relay's billing agrees, no SMS sent.
func TestKakaoFaultsBilledOnce(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Hold = 1500 * time.Millisecond // the relay's client gives up after 1 s
		c.RetryAfter = 20 * time.Millisecond
	}))
	u := h.connect("shop")
	faults := []string{kakaotest.OutcomeTimeout, kakaotest.OutcomeHTTP500, kakaotest.OutcomeHTTP503,
		kakaotest.OutcomeHTTP429, kakaotest.OutcomeReset, kakaotest.OutcomeGarbage}
	const per = 4
	var ids []string
	for i, f := range faults {
		h.kakao.Burst(f, per)
		for j := range per {
			r := h.submit(u, alimtalk(fmt.Sprintf("kf-%d-%d", i, j), "01077778888", upstreampb.Fallback_FALLBACK_NONE))
			if r.Status != upstreampb.Status_OK {
				t.Fatalf("submit: %v", r)
			}
			ids = append(ids, r.MessageId)
		}
		for _, id := range ids[len(ids)-per:] {
			if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
				t.Errorf("after %s: %+v", f, rep)
			}
		}
	}
	st := h.kakao.Stats()
	counts, err := h.d.Store().MonthCounts("shop", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kakao: %+v; relay billed %v", st, counts)
	if st.Accepted != int64(len(ids)) || st.Billed != int64(len(ids)) {
		t.Errorf("Kakao accepted %d and billed %d distinct serials for %d messages", st.Accepted, st.Billed, len(ids))
	}
	if counts[message.ProductAlimTalk] != uint64(len(ids)) {
		t.Errorf("relay billed %d AlimTalk for %d messages", counts[message.ProductAlimTalk], len(ids))
	}
	for _, id := range ids {
		if n := u.reportCount(id); n != 1 {
			t.Errorf("%s: %d reports", id, n)
		}
	}
	if len(h.carrierSubmits()) != 0 {
		t.Error("an SMS went out for a message Kakao delivered")
	}
}

// TestKakao3005WithoutFinalExpiresOnce: Kakao says 3005 (sent, receipt
// unconfirmed) and never gives a final result. Pass: no SMS fallback
// (it could duplicate on the handset), one final result, at 48 h, not
// billed.
func TestKakao3005WithoutFinalExpiresOnce(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01056565656": "3005"}
		c.FinalAfter, c.FinalCode = 100*time.Hour, "1000"
	}), func(s *setup) {
		s.cfg.Dispatch.Validity = message.ResultWindow // the 48 h ceiling: the deadline is acceptance + 48h
	})
	u := h.connect("shop")
	r := h.submit(u, alimtalk("k3005", "01056565656", upstreampb.Fallback_FALLBACK_AUTO))
	id := mustID(t, r.MessageId)
	h.waitFor("kakao-sent", func() bool {
		m, err := h.d.Store().Get(id)
		return err == nil && m.State == message.StateKakaoSent
	})
	for _, step := range []time.Duration{time.Hour, 23 * time.Hour, 23*time.Hour + 58*time.Minute} {
		h.now.Advance(step)
		h.d.disp.PollKakao(context.Background())
		if n := h.d.ExpireNow(context.Background()); n != 0 {
			t.Fatalf("expired %d before 48 h", n)
		}
	}
	h.now.Advance(3 * time.Minute)
	h.d.disp.PollKakao(context.Background())
	h.d.ExpireNow(context.Background())
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_EXPIRED || rep.Billed != upstreampb.Product_PRODUCT_UNSPECIFIED {
		t.Fatalf("at 48h01m: %+v", rep)
	}
	h.now.Advance(time.Hour)
	h.d.disp.PollKakao(context.Background())
	if n := u.reportCount(r.MessageId); n != 1 {
		t.Fatalf("%d reports", n)
	}
	if len(h.carrierSubmits()) != 0 {
		t.Error("a 3005 fell back to SMS")
	}
}
