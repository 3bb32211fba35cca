package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func TestSMSAndLMSEndToEnd(t *testing.T) {
	h := newHarness(t)
	u := h.connect("shop")

	smsText := "주문하신 상품이 발송되었습니다."
	r1 := h.submit(u, sms("o-1", smsText))
	if r1.Status != upstreampb.Status_OK || r1.Duplicate {
		t.Fatalf("sms submit: %v", r1)
	}
	lmsText := strings.Repeat("가나다라마바사 ", 30) // 450 EUC-KR bytes
	r2 := h.submit(u, &upstreampb.Submit{ClientRef: "o-2", Product: upstreampb.Product_PRODUCT_LMS,
		Sender: "0212345678", Recipient: "+82 10 9876 5432", Text: lmsText, Subject: "배송 안내"})
	if r2.Status != upstreampb.Status_OK {
		t.Fatalf("lms submit: %v", r2)
	}

	rep1, rep2 := h.waitReport(u, r1.MessageId), h.waitReport(u, r2.MessageId)
	for _, c := range []struct {
		rep    *upstreampb.Report
		billed upstreampb.Product
	}{{rep1, upstreampb.Product_PRODUCT_SMS}, {rep2, upstreampb.Product_PRODUCT_LMS}} {
		if c.rep.State != upstreampb.FinalState_DELIVERED || c.rep.Billed != c.billed ||
			c.rep.ResultSource != upstreampb.ResultSource_SOURCE_RECEIPT || c.rep.ResultCode != "DELIVRD" {
			t.Errorf("report %+v: want delivered, billed %v, by receipt", c.rep, c.billed)
		}
		if c.rep.AcceptedAtMs == 0 || c.rep.SentAtMs == 0 || c.rep.FinalAtMs == 0 {
			t.Errorf("report %s lacks times: %+v", c.rep.MessageId, c.rep)
		}
	}

	// What the carrier got: EUC-KR text, the SMS in short_message, the LMS
	// whole in message_payload, normalised numbers.
	got := h.carrierSubmits()
	if len(got) != 2 {
		t.Fatalf("carriers got %d submits, want 2", len(got))
	}
	for _, s := range got {
		if s.SM.DataCoding != uint8(coding.EUCKR) || s.SM.Dest.Addr != "01098765432" || s.SM.Source.Addr != "0212345678" {
			t.Errorf("submit_sm %+v", s.SM)
		}
		if s.SM.RegisteredDelivery&1 == 0 || s.SM.ValidityPeriod == "" {
			t.Errorf("submit_sm asks no receipt or has no validity: %+v", s.SM)
		}
		text := s.SM.ShortMessage
		if p, ok := s.SM.TLVs.MessagePayload(); ok {
			text = p
		}
		dec, err := coding.EUCKR.Decode(text)
		if err != nil || (dec != smsText && dec != lmsText) {
			t.Errorf("carrier text %q, %v", dec, err)
		}
	}
	m, err := h.d.Store().Get(mustID(t, r2.MessageId))
	if err != nil || m.Product != message.ProductLMS || m.Billed != message.ProductLMS {
		t.Fatalf("stored LMS: %+v, %v", m, err)
	}
}

func TestIdempotentResubmission(t *testing.T) {
	h := newHarness(t)
	u := h.connect("shop")
	first := h.submit(u, sms("same-ref", "첫 번째"))
	again := h.submit(u, sms("same-ref", "두 번째"))
	if first.Status != upstreampb.Status_OK || again.Status != upstreampb.Status_OK {
		t.Fatalf("submits: %v / %v", first, again)
	}
	if again.MessageId != first.MessageId || !again.Duplicate || first.Duplicate {
		t.Fatalf("resubmission got %v, first %v", again, first)
	}
	h.waitReport(u, first.MessageId)
	// Another customer's same reference is its own message.
	o := h.connect("other")
	r := h.submit(o, &upstreampb.Submit{ClientRef: "same-ref", Product: upstreampb.Product_PRODUCT_SMS,
		Sender: "0311112222", Recipient: "01011112222", Text: "hi"})
	if r.Status != upstreampb.Status_OK || r.Duplicate || r.MessageId == first.MessageId {
		t.Fatalf("other customer's submit: %v", r)
	}
	h.waitReport(o, r.MessageId)
	if n := len(h.carrierSubmits()); n != 2 {
		t.Fatalf("carriers got %d submits, want 2 (no second message for the resubmission)", n)
	}
}

func TestRefusalsNameRuleAndValue(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.cfg.Customers = append(s.cfg.Customers, customerSlow())
	})
	u := h.connect("shop")
	cases := []struct {
		name   string
		s      *upstreampb.Submit
		status upstreampb.Status
		reason string
	}{
		{"product", &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_PAYMENT_ALIMTALK, SenderKey: "key-1",
			TemplateCode: "T", Recipient: "01012345678", Text: "x"}, upstreampb.Status_PRODUCT_NOT_ALLOWED, "payment"},
		{"sender", &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Sender: "0299998888",
			Recipient: "01012345678", Text: "x"}, upstreampb.Status_SENDER_NOT_REGISTERED, "0299998888"},
		{"recipient", &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Sender: "0212345678",
			Recipient: "0212345678", Text: "x"}, upstreampb.Status_RECIPIENT_INVALID, "0212345678"},
		{"length", sms("", strings.Repeat("가", 41)), upstreampb.Status_TOO_LONG, "82"},
		{"template", &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_ALIMTALK, SenderKey: "key-1",
			Recipient: "01012345678", Text: "x"}, upstreampb.Status_MISSING_FIELD, "template"},
		{"unencodable", sms("", "emoji 😀"), upstreampb.Status_UNENCODABLE_TEXT, "😀"},
	}
	for _, c := range cases {
		r := h.submit(u, c.s)
		if r.Status != c.status || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s: got %v %q, want %v mentioning %q", c.name, r.Status, r.Reason, c.status, c.reason)
		}
		if r.MessageId != "" {
			t.Errorf("%s: refused submit has an id", c.name)
		}
	}
	if r := h.submit(u, sms("", strings.Repeat("가", 41))); r.Measured != 82 || r.Limit != 80 {
		t.Errorf("TOO_LONG measured %d limit %d, want 82 and 80", r.Measured, r.Limit)
	}

	// Throttling: a customer allowed 1 message a second gets THROTTLED.
	s := h.connect("slow")
	var throttled *upstreampb.SubmitResp
	for i := 0; i < 5 && throttled == nil; i++ {
		r := h.submit(s, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Sender: "0219998888",
			Recipient: "01012345678", Text: fmt.Sprint(i)})
		if r.Status == upstreampb.Status_THROTTLED {
			throttled = r
		}
	}
	if throttled == nil || throttled.RetryAfterMs == 0 {
		t.Fatalf("no THROTTLED answer with a retry time: %v", throttled)
	}

	// Suspension refuses new messages with the reason, at once.
	if err := h.d.Customers().Suspend("shop", "unpaid fees"); err != nil {
		t.Fatal(err)
	}
	r := h.submit(u, sms("", "after suspension"))
	if r.Status != upstreampb.Status_CUSTOMER_SUSPENDED || !strings.Contains(r.Reason, "unpaid fees") {
		t.Fatalf("suspended: %v", r)
	}
	if err := h.d.Customers().Resume("shop"); err != nil {
		t.Fatal(err)
	}
	if r := h.submit(u, sms("", "resumed")); r.Status != upstreampb.Status_OK {
		t.Fatalf("resumed: %v", r)
	}

	// Unauthenticated: a wrong secret gets no session at all.
	_, err := client.Dial(context.Background(), h.d.UpstreamAddr(), client.Options{Customer: "shop", Secret: "wrong"})
	var se *client.StatusError
	if !errors.As(err, &se) || se.Status != upstreamStatusUnauth {
		t.Fatalf("bind with a wrong secret: %v", err)
	}
}

const upstreamStatusUnauth = upstreampb.Status_UNAUTHENTICATED

func customerSlow() customer.Config {
	return customer.Config{ID: "slow", Name: "Slow", SecretHash: testHash, Products: []string{"sms"},
		Senders: []string{"0219998888"}, Rate: 1, Burst: 1}
}

func TestFailoverWhileCarrierDown(t *testing.T) {
	h := newHarness(t)
	u := h.connect("shop")
	h.sims["a"].Close() // carrier a is gone: its binds go down and stay down
	h.waitFor("carrier a down", func() bool { return !h.d.disp.Live("a") })
	var ids []string
	for i := 0; i < 20; i++ {
		r := h.submit(u, sms(fmt.Sprint("f-", i), "failover"))
		if r.Status != upstreampb.Status_OK {
			t.Fatalf("submit: %v", r)
		}
		ids = append(ids, r.MessageId)
	}
	for _, id := range ids {
		if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("report %v", rep)
		}
	}
	if n := len(h.sims["b"].Submitted()); n != 20 {
		t.Fatalf("failover carrier b got %d submits, want 20", n)
	}
}

func TestCarrierThrottlingIsRetriedNotFailed(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.sims["a"].Behavior = smpptest.Behavior{BusyEvery: 3, BusyBurst: 2, BusyStatus: pdu.StatusThrottled}
	})
	u := h.connect("shop")
	var ids []string
	for i := 0; i < 30; i++ {
		ids = append(ids, h.submit(u, sms(fmt.Sprint("t-", i), "busy carrier")).MessageId)
	}
	for _, id := range ids {
		if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("a throttled message ended %v: %s", rep.State, rep.ResultReason)
		}
	}
	if h.sims["a"].Stats().Throttled == 0 {
		t.Fatal("the carrier never throttled: the test proves nothing")
	}
}

func TestRestartResumesOpenMessages(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		// Both carriers refuse our password: nothing can be sent.
		s.sims["a"].Users = map[string]string{"relay": "other"}
		s.sims["b"].Users = map[string]string{"relay": "other"}
		s.noBindWait = true
	})
	u := h.connect("shop")
	var ids []string
	for i := 0; i < 10; i++ {
		r := h.submit(u, sms(fmt.Sprint("r-", i), "waiting for a carrier"))
		if r.Status != upstreampb.Status_OK {
			t.Fatalf("submit: %v", r)
		}
		ids = append(ids, r.MessageId)
	}
	u.Close()
	h.stop()

	// The carrier is fixed while the relay is down; the restarted relay
	// sends every accepted message from the store.
	h.cfg.Carriers[0].Password = "other"
	h.cfg.Carriers[1].Password = "other"
	h.start()
	u = h.connect("shop")
	for _, id := range ids {
		if rep := h.waitReport(u, id); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("after restart: %v", rep)
		}
	}
}

func TestResultWindowAcrossRestart(t *testing.T) {
	const (
		inTime = 47*time.Hour + 59*time.Minute
		late   = 48*time.Hour + time.Minute
	)
	h := newHarness(t, func(s *setup) {
		s.cfg.Dispatch.Validity = message.ResultWindow // the 48 h ceiling: deadlines at acceptance + 48h
		// Carrier a answers 010 numbers and receipts them at 47h59m;
		// carrier b answers 011 numbers and receipts them at 48h01m. Both
		// delays run on the test's clock, as does the relay's.
		s.sims["a"].ReceiptDelay, s.sims["b"].ReceiptDelay = inTime, late
		s.sims["a"].Clock, s.sims["b"].Clock = s.clock, s.clock
		s.cfg.Routes = []route.Config{
			{Prefixes: []string{"010"}, Carriers: []route.Weighted{{Name: "a"}}},
			{Prefixes: []string{"011"}, Carriers: []route.Weighted{{Name: "b"}}},
		}
	})
	u := h.connect("shop")
	r1 := h.submit(u, sms("w-1", "in time"))
	m2 := sms("w-2", "too late")
	m2.Recipient = "0111234567"
	r2 := h.submit(u, m2)
	st := func(id string) message.State {
		m, err := h.d.Store().Get(mustID(t, id))
		if err != nil {
			t.Fatal(err)
		}
		return m.State
	}
	h.waitFor("both sent", func() bool {
		return st(r1.MessageId) == message.StateSent && st(r2.MessageId) == message.StateSent
	})

	// Hour 24: the relay restarts; the deadlines are on disk.
	h.now.Advance(24 * time.Hour)
	u.Close()
	h.restart()
	u = h.connect("shop")
	if n := h.d.ExpireNow(context.Background()); n != 0 {
		t.Fatalf("expired %d messages at hour 24", n)
	}

	// 47h59m: the first receipt arrives inside the window.
	h.now.Advance(inTime - 24*time.Hour)
	if rep := h.waitReport(u, r1.MessageId); rep.State != upstreampb.FinalState_DELIVERED {
		t.Fatalf("receipt at 47h59m: %v", rep)
	}
	if n := h.d.ExpireNow(context.Background()); n != 0 {
		t.Fatalf("expired %d messages before 48h", n)
	}
	if u.report(r2.MessageId) != nil {
		t.Fatal("second message reported before its window closed")
	}

	// 48h00m: the second has had no receipt and is closed as expired.
	h.now.Advance(time.Minute)
	if n := h.d.ExpireNow(context.Background()); n != 1 {
		t.Fatalf("expired %d messages at 48h, want 1", n)
	}
	rep := h.waitReport(u, r2.MessageId)
	if rep.State != upstreampb.FinalState_EXPIRED || rep.Billed != upstreampb.Product_PRODUCT_UNSPECIFIED {
		t.Fatalf("at 48h: %v", rep)
	}

	// 48h01m: its receipt arrives late: counted, changes nothing.
	late0 := h.counter(`relay_receipts_total{carrier="b",outcome="late"}`)
	h.now.Advance(time.Minute)
	h.waitFor("late receipt counted", func() bool {
		return h.counter(`relay_receipts_total{carrier="b",outcome="late"}`) == late0+1
	})
	if st(r2.MessageId) != message.StateExpired || u.reportCount(r2.MessageId) != 1 {
		t.Fatalf("late receipt changed the message: %v, %d reports", st(r2.MessageId), u.reportCount(r2.MessageId))
	}
	counts, err := h.d.Store().MonthCounts("shop", "2026-11")
	if err != nil || counts[message.ProductSMS] != 1 {
		t.Fatalf("billed %v, %v; want one SMS", counts, err)
	}
}

func mustID(t *testing.T, s string) message.ID {
	t.Helper()
	id, err := message.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
