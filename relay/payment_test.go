package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/coding"
)

const (
	merchantPhone = "01099990000"
	buyerPhone    = "01088887777"
)

func withPayments(s *setup) {
	s.cfg.Customers[0].Products = append(s.cfg.Customers[0].Products, "payment_alimtalk")
	s.cfg.Customers = append(s.cfg.Customers, customer.Config{ID: "pg", Name: "Payment system", SecretHash: testHash,
		Products: []string{"payment_alimtalk"}, Rate: 100000})
	s.cfg.PaymentSource = "pg"
	tpl := func(a payment.Audience, n payment.Notice, text string) payment.Template {
		return payment.Template{Audience: a, Notice: n, Code: "PAY_" + string(a) + "_" + string(n), Text: text}
	}
	s.cfg.Payments = []payment.Subscription{{
		MID: "shop_mid", Customer: "shop", SenderKey: "key-1",
		Merchant: payment.MerchantAudience{Events: []payment.Notice{payment.NoticeApproval, payment.NoticeCancellation},
			Recipients: []string{merchantPhone}},
		Buyer: payment.BuyerAudience{Events: []payment.Notice{payment.NoticeApproval, payment.NoticeCancellation,
			payment.NoticeVAccountIssued}},
		Templates: []payment.Template{
			tpl(payment.AudienceMerchant, payment.NoticeApproval, "[승인] #{order_name} #{amount}"),
			tpl(payment.AudienceMerchant, payment.NoticeCancellation, "[취소] #{order_name} #{amount}"),
			tpl(payment.AudienceBuyer, payment.NoticeApproval, "#{order_name} 결제 완료 #{amount}"),
			tpl(payment.AudienceBuyer, payment.NoticeCancellation, "#{order_name} 결제 취소 #{amount}"),
			tpl(payment.AudienceBuyer, payment.NoticeVAccountIssued, "#{order_name} 입금 계좌 #{bank} #{account} 예금주 #{holder} 금액 #{amount} 기한 #{due}"),
		},
	}}
	for _, t := range s.cfg.Payments[0].Templates { // registered for the sender profile, as Kakao has them
		s.cfg.Templates = append(s.cfg.Templates, templates.Template{SenderKey: "key-1", Code: t.Code, Text: t.Text})
	}
}

func paymentEvent(id string, kind upstreampb.PaymentEventKind, method upstreampb.PaymentMethod) *upstreampb.PaymentEvent {
	ev := &upstreampb.PaymentEvent{EventId: id, Mid: "shop_mid", Kind: kind, Method: method, Amount: 12300,
		OrderId: "order-" + id, OrderName: "겨울 코트", BuyerNumber: buyerPhone,
		TimeMs: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).UnixMilli()}
	if method == upstreampb.PaymentMethod_VIRTUAL_ACCOUNT {
		ev.Bank, ev.AccountNumber, ev.AccountHolder = "국민은행", "123-45-6789", "(주)샵"
		ev.DepositDueMs = time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC).UnixMilli()
	}
	return ev
}

func (h *harness) payment(u *upstreamClient, ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := u.PaymentEvent(ctx, ev)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestPaymentAlimTalkEndToEnd(t *testing.T) {
	h := newHarness(t, withPayments, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{} // filled below per case
	}))
	u := h.connect("shop")
	pg := h.connect("pg")

	// A card approval: one message to the merchant, one to the buyer.
	r := h.payment(pg, paymentEvent("ev-1", upstreampb.PaymentEventKind_APPROVAL_COMPLETED, upstreampb.PaymentMethod_CARD))
	if r.Status != upstreampb.Status_OK || r.Duplicate || len(r.MessageIds) != 2 {
		t.Fatalf("approval: %v", r)
	}
	for _, id := range r.MessageIds {
		rep := h.waitReport(u, id)
		if rep.State != upstreampb.FinalState_DELIVERED || rep.Billed != upstreampb.Product_PRODUCT_PAYMENT_ALIMTALK {
			t.Fatalf("report %+v", rep)
		}
		m, err := h.d.Store().Get(mustID(t, id))
		if err != nil || !strings.Contains(m.Text, "12,300원") || m.Kakao.TemplateCode == "" {
			t.Fatalf("message %+v, %v", m, err)
		}
	}
	// The same event again creates nothing.
	again := h.payment(pg, paymentEvent("ev-1", upstreampb.PaymentEventKind_APPROVAL_COMPLETED, upstreampb.PaymentMethod_CARD))
	if again.Status != upstreampb.Status_OK || !again.Duplicate || strings.Join(again.MessageIds, ",") != strings.Join(r.MessageIds, ",") {
		t.Fatalf("repeated event: %v", again)
	}
	if st := h.kakao.Stats(); st.Accepted != 2 {
		t.Fatalf("Kakao accepted %d serials, want 2", st.Accepted)
	}

	// A virtual account: issuance tells the buyer where to pay; the
	// "approval" notices wait for the deposit.
	iss := h.payment(pg, paymentEvent("ev-2", upstreampb.PaymentEventKind_VIRTUAL_ACCOUNT_ISSUED, upstreampb.PaymentMethod_VIRTUAL_ACCOUNT))
	if iss.Status != upstreampb.Status_OK || len(iss.MessageIds) != 1 {
		t.Fatalf("issuance: %v", iss)
	}
	if m, _ := h.d.Store().Get(mustID(t, iss.MessageIds[0])); m.Recipient != buyerPhone ||
		!strings.Contains(m.Text, "국민은행 123-45-6789 예금주 (주)샵 금액 12,300원 기한 2026-11-29 00:00") {
		t.Fatalf("issuance to %s: %q", m.Recipient, m.Text)
	}
	appr := h.payment(pg, paymentEvent("ev-3", upstreampb.PaymentEventKind_APPROVAL_COMPLETED, upstreampb.PaymentMethod_VIRTUAL_ACCOUNT))
	if appr.Status != upstreampb.Status_OK || len(appr.MessageIds) != 0 {
		t.Fatalf("a virtual account's approval event sent %v", appr)
	}
	dep := h.payment(pg, paymentEvent("ev-4", upstreampb.PaymentEventKind_DEPOSIT_COMPLETED, upstreampb.PaymentMethod_VIRTUAL_ACCOUNT))
	if dep.Status != upstreampb.Status_OK || len(dep.MessageIds) != 2 {
		t.Fatalf("deposit: %v", dep)
	}

	// Another customer cannot send events for this MID.
	o := h.connect("other")
	if r := h.payment(o, paymentEvent("ev-5", upstreampb.PaymentEventKind_APPROVAL_COMPLETED, upstreampb.PaymentMethod_CARD)); r.Status != upstreampb.Status_NOT_PAYMENT_SOURCE {
		t.Fatalf("foreign MID: %v", r)
	}
}

// TestMerchantCannotForgePaymentNotice: the merchant itself pushing an
// event for its own MID is refused, and nothing is sent (issue case: a
// forged 99,999,999원 approval was delivered).
func TestMerchantCannotForgePaymentNotice(t *testing.T) {
	h := newHarness(t, withPayments, withKakao(func(c *kakaotest.Config) {}))
	u := h.connect("shop")
	ev := paymentEvent("forged", upstreampb.PaymentEventKind_APPROVAL_COMPLETED, upstreampb.PaymentMethod_CARD)
	ev.Amount = 99999999
	r := h.payment(u, ev)
	if r.Status == upstreampb.Status_OK || len(r.MessageIds) != 0 || !strings.Contains(r.Reason, "payment source") {
		t.Fatalf("forged event: %v", r)
	}
	// Nor can it submit a payment AlimTalk directly, with its fallback
	// from the company's number.
	resp := h.submit(u, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_PAYMENT_ALIMTALK, Recipient: buyerPhone,
		Text: "[결제 승인] 99,999,999원", SenderKey: "key-1", TemplateCode: "PAY_merchant_approval", Fallback: upstreampb.Fallback_FALLBACK_AUTO})
	if resp.Status != upstreampb.Status_PRODUCT_NOT_ALLOWED {
		t.Fatalf("direct payment AlimTalk: %v", resp)
	}
}

func TestPaymentFallbackFromTheCompanyNumber(t *testing.T) {
	h := newHarness(t, withPayments, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{buyerPhone: "3019"} // the buyer cannot receive KakaoTalk
	}))
	u := h.connect("shop")
	r := h.payment(h.connect("pg"), paymentEvent("ev-fb", upstreampb.PaymentEventKind_CANCELLATION_COMPLETED, upstreampb.PaymentMethod_MOBILE))
	if r.Status != upstreampb.Status_OK || len(r.MessageIds) != 2 {
		t.Fatalf("cancellation: %v", r)
	}
	billed := map[upstreampb.Product]int{}
	for _, id := range r.MessageIds {
		billed[h.waitReport(u, id).Billed]++
	}
	if billed[upstreampb.Product_PRODUCT_PAYMENT_ALIMTALK] != 1 || billed[upstreampb.Product_PRODUCT_SMS] != 1 {
		t.Fatalf("billed %v: want one payment AlimTalk, one fallback SMS", billed)
	}
	subs := h.carrierSubmits()
	for _, sub := range subs {
		txt, _ := coding.EUCKR.Decode(sub.SM.ShortMessage)
		if sub.SM.Source.Addr != payment.FallbackSender || sub.SM.Dest.Addr != buyerPhone || !strings.Contains(txt, "취소") {
			t.Fatalf("fallback SMS from %s to %s: %q", sub.SM.Source.Addr, sub.SM.Dest.Addr, txt)
		}
	}
	if len(subs) != 1 {
		t.Fatalf("%d SMS sent, want 1", len(subs))
	}
	counts, _ := h.d.Store().MonthCounts("shop", "2026-11")
	if counts[message.ProductPaymentAlimTalk] != 1 || counts[message.ProductSMS] != 1 {
		t.Fatalf("billing %v", counts)
	}
}

// TestRepresentativeNumberReserved: the company's representative number is
// nobody's sender (issue cases: demo sent from 1588-4954; it could be
// registered for a customer), yet payment AlimTalk still falls back from it.
func TestRepresentativeNumberReserved(t *testing.T) {
	h := newHarness(t, withPayments, withKakao(nil))
	u := h.connect("shop")
	r := h.submit(u, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Sender: "1588-4954",
		Recipient: buyerPhone, Text: "대표번호로 보내기"})
	if r.Status != upstreampb.Status_SENDER_NOT_REGISTERED || r.Field != "sender" ||
		!strings.Contains(r.Reason, "15884954") || !strings.Contains(r.Reason, "reserved for the company") {
		t.Fatalf("SMS from the representative number: %v (want the number named as reserved for the company)", r)
	}
	if err := h.d.reg.AddSender("shop", "15884954"); err == nil {
		t.Fatal("the representative number was registered for a customer")
	}
	cfg := *h.cfg
	cfg.Customers = append([]customer.Config{}, h.cfg.Customers...)
	cfg.Customers[1].Senders = []string{"15884954"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("a config giving a customer the representative number: %v", err)
	}
	cfg.Customers[1].Senders = []string{"0212345678"} // shop's
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "shared_senders") {
		t.Fatalf("a config giving two customers one number: %v", err)
	}
}
