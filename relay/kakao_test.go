package relay

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/coding"
)

func alimtalk(ref, to string, fb upstreampb.Fallback) *upstreampb.Submit {
	return &upstreampb.Submit{ClientRef: ref, Product: upstreampb.Product_PRODUCT_ALIMTALK,
		SenderKey: "key-1", TemplateCode: "ORDER_SHIPPED", Sender: "0212345678", Recipient: to,
		Text: "[샵] 주문하신 상품이 발송되었습니다. 운송장 1234-5678", Fallback: fb}
}

func withKakao(mutate func(*kakaotest.Config)) harnessOpt {
	return func(s *setup) {
		s.kakao = &kakaotest.Config{Now: s.clock.Now}
		s.cfg.Templates = append(s.cfg.Templates, templates.Template{SenderKey: "key-1", Code: "ORDER_SHIPPED",
			Text: "[#{shop}] 주문하신 상품이 발송되었습니다. 운송장 #{invoice}"})
		if mutate != nil {
			mutate(s.kakao)
		}
	}
}

func TestAlimTalkDeliveredAndBilledOnce(t *testing.T) {
	h := newHarness(t, withKakao(nil))
	u := h.connect("shop")
	r := h.submit(u, alimtalk("k-1", "01011112222", upstreampb.Fallback_FALLBACK_AUTO))
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_DELIVERED || rep.Billed != upstreampb.Product_PRODUCT_ALIMTALK ||
		rep.ResultSource != upstreampb.ResultSource_SOURCE_KAKAO || rep.ResultCode != "1000" {
		t.Fatalf("report %+v", rep)
	}
	if got, _ := h.kakao.Result(r.MessageId); got != "1000" {
		t.Fatalf("Kakao holds serial %s as %q: the serial is not the message id", r.MessageId, got)
	}
	if st := h.kakao.Stats(); st.Billed != 1 {
		t.Fatalf("Kakao billed %d", st.Billed)
	}
	if n := len(h.carrierSubmits()); n != 0 {
		t.Fatalf("a delivered AlimTalk went to a carrier too (%d)", n)
	}
}

func TestKakaoFallbackIsANewLegBilledAsSMS(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01033334444": "3018", "01055556666": "3015"}
	}))
	u := h.connect("shop")
	blocked := h.submit(u, alimtalk("fb-1", "01033334444", upstreampb.Fallback_FALLBACK_AUTO))
	misconf := h.submit(u, alimtalk("fb-2", "01055556666", upstreampb.Fallback_FALLBACK_SMS))
	none := h.submit(u, alimtalk("fb-3", "01033334444", upstreampb.Fallback_FALLBACK_NONE))

	for _, r := range []*upstreampb.SubmitResp{blocked, misconf} {
		rep := h.waitReport(u, r.MessageId)
		if rep.State != upstreampb.FinalState_DELIVERED || rep.Billed != upstreampb.Product_PRODUCT_SMS ||
			rep.Product != upstreampb.Product_PRODUCT_ALIMTALK {
			t.Fatalf("fallback report %+v: want delivered, billed as SMS", rep)
		}
	}
	rep := h.waitReport(u, none.MessageId)
	if rep.State != upstreampb.FinalState_FAILED || rep.ResultCode != "3018" || rep.Billed != 0 {
		t.Fatalf("no-fallback report %+v", rep)
	}
	var texts []string
	for _, sub := range h.carrierSubmits() {
		txt, _ := coding.EUCKR.Decode(sub.SM.ShortMessage)
		texts = append(texts, txt)
	}
	if len(texts) != 2 || !strings.Contains(texts[0], "발송") {
		t.Fatalf("carriers got %q, want the two fallback texts", texts)
	}
	counts, err := h.d.Store().MonthCounts("shop", "2026-11")
	if err != nil || counts[message.ProductSMS] != 2 || counts[message.ProductAlimTalk] != 0 {
		t.Fatalf("billing %v, %v: want 2 SMS and no AlimTalk", counts, err)
	}
	for _, r := range []*upstreampb.SubmitResp{blocked, misconf, none} {
		if n := u.reportCount(r.MessageId); n != 1 {
			t.Fatalf("%d reports for %s, want one", n, r.MessageId)
		}
	}
	if h.counter(`relay_kakao_alerts_total`) == 0 && h.counter(`relay_kakao_operator_alerts_total{client="kakao"}`) == 0 {
		// The alert is counted by the Kakao client; make sure it is visible.
		var b strings.Builder
		h.d.set.WritePrometheus(&b)
		if !strings.Contains(b.String(), "alert") {
			t.Fatalf("no operator alert metric for a template mismatch:\n%s", b.String())
		}
	}
}

func TestKakaoTimeoutRetriedWithTheSameSerialBilledOnce(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) { c.Hold = 3 * time.Second }))
	h.kakao.Burst("timeout", 1) // the first answer is held past the client's 1 s timeout
	u := h.connect("shop")
	r := h.submit(u, alimtalk("to-1", "01077778888", upstreampb.Fallback_FALLBACK_NONE))
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_DELIVERED {
		t.Fatalf("report %+v", rep)
	}
	st := h.kakao.Stats()
	if st.Sends < 2 || st.Accepted != 1 || st.Billed != 1 {
		t.Fatalf("Kakao stats %+v: want ≥2 sends of one serial, accepted and billed once", st)
	}
	counts, _ := h.d.Store().MonthCounts("shop", "2026-11")
	if counts[message.ProductAlimTalk] != 1 {
		t.Fatalf("billed %v", counts)
	}
}

func TestKakao3005WaitsForTheFinalResult(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01012121212": "3005"}
		c.FinalAfter, c.FinalCode = 10*time.Minute, "1000"
	}))
	u := h.connect("shop")
	r := h.submit(u, alimtalk("w-1", "01012121212", upstreampb.Fallback_FALLBACK_AUTO))
	id := mustID(t, r.MessageId)
	h.waitFor("kakao-sent", func() bool {
		m, err := h.d.Store().Get(id)
		return err == nil && m.State == message.StateKakaoSent && h.d.disp.KakaoAwaiting() == 1
	})
	h.d.disp.PollKakao(context.Background())
	if u.report(r.MessageId) != nil {
		t.Fatal("a 3005 was reported before its final result")
	}
	h.now.Advance(11 * time.Minute)
	h.d.disp.PollKakao(context.Background())
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_DELIVERED || rep.Billed != upstreampb.Product_PRODUCT_ALIMTALK {
		t.Fatalf("report %+v", rep)
	}
	if len(h.carrierSubmits()) != 0 {
		t.Fatal("a 3005 fell back to SMS")
	}
}

func TestAdFallbackSMSNotSentAtNight(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01034343434": "3005"}
		c.FinalAfter, c.FinalCode = time.Minute, "3018"
	}))
	// 20:49 in Seoul (11:49 UTC): an ad FriendTalk is still allowed.
	h.now.Advance(time.Date(2026, 11, 26, 11, 49, 0, 0, time.UTC).Sub(h.now.Now()))
	u := h.connect("shop")
	r := h.submit(u, &upstreampb.Submit{ClientRef: "ad-1", Product: upstreampb.Product_PRODUCT_FRIENDTALK_TEXT,
		SenderKey: "key-1", Sender: "0212345678", Recipient: "01034343434", Ad: true,
		Text: "(광고) 겨울 세일 30% 할인 무료거부 080-123-4567", Fallback: upstreampb.Fallback_FALLBACK_SMS})
	if r.Status != upstreampb.Status_OK {
		t.Fatalf("ad FriendTalk at 20:49: %v", r)
	}
	h.waitFor("kakao-sent", func() bool {
		m, err := h.d.Store().Get(mustID(t, r.MessageId))
		return err == nil && m.State == message.StateKakaoSent && h.d.disp.KakaoAwaiting() == 1
	})
	// It fails at 21:05: the SMS fallback of an ad may not go at night.
	h.now.Advance(16 * time.Minute)
	h.d.disp.PollKakao(context.Background())
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_FAILED || !strings.Contains(rep.ResultReason, "AD_RULE") {
		t.Fatalf("report %+v", rep)
	}
	if len(h.carrierSubmits()) != 0 {
		t.Fatal("an ad SMS went out at night")
	}
	// And at 21:05 a new ad FriendTalk is refused at the door.
	r2 := h.submit(u, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_FRIENDTALK_TEXT, SenderKey: "key-1",
		Recipient: "01034343434", Ad: true, Text: "(광고) 세일 무료거부 080-123-4567"})
	if r2.Status != upstreampb.Status_AD_RULE {
		t.Fatalf("ad FriendTalk at 21:05: %v", r2)
	}
}

func TestSlowKakaoDoesNotSlowSMS(t *testing.T) {
	h := newHarness(t, withKakao(nil), func(s *setup) { s.kakaoWait = time.Minute })
	h.kakao.Pause() // Kakao stops answering: every Kakao connection is taken, a queue forms
	u := h.connect("shop")
	var kakaoIDs []string
	for i := 0; i < 20; i++ { // more than the Kakao connections
		kakaoIDs = append(kakaoIDs, h.submit(u, alimtalk(fmt.Sprint("slow-", i), "01011112222", 0)).MessageId)
	}
	h.waitFor("the Kakao connections taken", func() bool { return h.kakao.Stats().Requests >= 8 })
	s := h.submit(u, sms("fast-1", "SMS는 기다리지 않습니다"))
	h.waitReport(u, s.MessageId)
	for _, id := range kakaoIDs {
		if rep := u.report(id); rep != nil {
			t.Fatalf("a report for %s while Kakao answers nothing: %+v", id, rep)
		}
	}
	h.kakao.Resume()
	for _, id := range kakaoIDs {
		if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("AlimTalk %s after Kakao came back: %+v", id, rep)
		}
	}
}
