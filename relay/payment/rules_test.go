package payment

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// vaSample is the sample with every virtual-account notice subscribed.
func vaSample(t *testing.T) Subscription {
	s := sample(t)
	const va = "#{order_name} #{bank} #{account} 예금주 #{holder} 금액 #{amount} 기한 #{due}"
	s.Buyer.Events = append(s.Buyer.Events, NoticeVAccountDeposited, NoticeVAccountExpired)
	s.Templates = append(s.Templates,
		Template{AudienceBuyer, NoticeVAccountDeposited, "B_VDEP", "[입금 완료] " + va},
		Template{AudienceBuyer, NoticeVAccountExpired, "B_VEXP", "[기한 만료] " + va})
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

func vaEvent(id string, kind upstreampb.PaymentEventKind) *upstreampb.PaymentEvent {
	return &upstreampb.PaymentEvent{
		EventId: id, Mid: "shop001m", Kind: kind, Method: upstreampb.PaymentMethod_VIRTUAL_ACCOUNT,
		Amount: 5000, OrderName: "책", BuyerNumber: "01099998888", TimeMs: 1,
		Bank: "신한은행", AccountNumber: "110-123-456789", AccountHolder: "(주)책방",
		DepositDueMs: time.Date(2026, 11, 28, 14, 59, 0, 0, time.UTC).UnixMilli(),
	}
}

func newSubmitter(t *testing.T, s Subscription) (*Submitter, *fakeStore) {
	reg, err := NewRegistry([]Subscription{s}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := &fakeStore{refs: map[string]message.ID{}}
	return &Submitter{Registry: reg, Store: st, Sources: []string{"pg"}}, st
}

// TestEventsOnlyFromThePaymentSystem: a merchant cannot forge a payment
// notice, even for its own MID (issue case: demo sent a PaymentEvent for
// its own MID and a 99,999,999원 approval was delivered); the payment
// system may, only for subscribed MIDs.
func TestEventsOnlyFromThePaymentSystem(t *testing.T) {
	sub, st := newSubmitter(t, sample(t))
	approval := func(mid string) *upstreampb.PaymentEvent {
		return &upstreampb.PaymentEvent{EventId: "F-1", Mid: mid, Kind: upstreampb.PaymentEventKind_APPROVAL_COMPLETED,
			Method: upstreampb.PaymentMethod_CARD, Amount: 99999999, OrderName: "가짜", BuyerNumber: "01099998888", TimeMs: 1}
	}
	forged := approval("shop001m")
	for _, from := range []string{"acme", "other", ""} {
		r := sub.AnswerFrom(context.Background(), from, forged)
		if r.Status != upstreampb.Status_NOT_PAYMENT_SOURCE || !strings.Contains(r.Reason, "NOT_PAYMENT_SOURCE") ||
			!strings.Contains(r.Reason, `"`+from+`"`) {
			t.Fatalf("event from %q: %v", from, r)
		}
	}
	if len(st.refs) != 0 {
		t.Fatalf("a refused event stored %d messages", len(st.refs))
	}
	if r := sub.AnswerFrom(context.Background(), "pg", approval("nobody01")); r.Status != upstreampb.Status_INVALID_REQUEST || !strings.Contains(r.Reason, "nobody01") {
		t.Fatalf("unsubscribed MID: %v", r)
	}
	if r := sub.AnswerFrom(context.Background(), "pg", forged); r.Status != upstreampb.Status_OK || len(r.MessageIds) != 3 {
		t.Fatalf("from the payment system: %v", r)
	}
}

// TestVirtualAccountFieldsRequired: each missing virtual-account field is
// refused by its protocol name (issue case: VIRTUAL_ACCOUNT_ISSUED rendered
// '책 입금 계좌   금액 5,000원 기한 ').
func TestVirtualAccountFieldsRequired(t *testing.T) {
	sub, _ := newSubmitter(t, vaSample(t))
	drop := map[string]func(*upstreampb.PaymentEvent){
		"bank":           func(e *upstreampb.PaymentEvent) { e.Bank = "" },
		"account_number": func(e *upstreampb.PaymentEvent) { e.AccountNumber = "" },
		"account_holder": func(e *upstreampb.PaymentEvent) { e.AccountHolder = "" },
		"amount":         func(e *upstreampb.PaymentEvent) { e.Amount = 0 },
		"deposit_due_ms": func(e *upstreampb.PaymentEvent) { e.DepositDueMs = 0 },
	}
	for _, kind := range []upstreampb.PaymentEventKind{upstreampb.PaymentEventKind_VIRTUAL_ACCOUNT_ISSUED,
		upstreampb.PaymentEventKind_DEPOSIT_COMPLETED, upstreampb.PaymentEventKind_VIRTUAL_ACCOUNT_EXPIRED} {
		for field, fn := range drop {
			ev := vaEvent("M-"+field, kind)
			fn(ev)
			r := sub.AnswerFrom(context.Background(), "pg", ev)
			if r.Status != upstreampb.Status_MISSING_FIELD || !strings.Contains(r.Reason, field) {
				t.Errorf("%s without %s: %v", kind, field, r)
			}
		}
	}
	var mf *MissingFieldError
	ev := FromProto(vaEvent("x", upstreampb.PaymentEventKind_VIRTUAL_ACCOUNT_ISSUED))
	ev.Holder = ""
	if err := ev.Validate(); !errors.As(err, &mf) || !errors.Is(err, ErrEvent) || mf.Field != "account_holder" {
		t.Fatalf("Validate = %v", err)
	}
}

// TestVirtualAccountNoticesRenderEveryField: issued, deposited and
// expired-unpaid notices show bank, account, holder, amount and due date.
func TestVirtualAccountNoticesRenderEveryField(t *testing.T) {
	reg, err := NewRegistry([]Subscription{vaSample(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for kind, code := range map[upstreampb.PaymentEventKind]string{
		upstreampb.PaymentEventKind_VIRTUAL_ACCOUNT_ISSUED:  "B_VACC",
		upstreampb.PaymentEventKind_DEPOSIT_COMPLETED:       "B_VDEP",
		upstreampb.PaymentEventKind_VIRTUAL_ACCOUNT_EXPIRED: "B_VEXP",
	} {
		msgs, err := reg.Expand(FromProto(vaEvent("V-1", kind)))
		if err != nil {
			t.Fatal(err)
		}
		var buyer *message.Message
		for i := range msgs {
			if msgs[i].Recipient == "01099998888" {
				buyer = &msgs[i]
			}
		}
		if buyer == nil || buyer.Kakao.TemplateCode != code {
			t.Fatalf("%s: buyer message %+v", kind, buyer)
		}
		for _, want := range []string{"신한은행", "110-123-456789", "(주)책방", "5,000원", "2026-11-28 23:59"} {
			if !strings.Contains(buyer.Text, want) {
				t.Errorf("%s: %q lacks %q", kind, buyer.Text, want)
			}
		}
	}
	// A virtual-account template that leaves a field out is refused.
	s := vaSample(t)
	s.Templates[len(s.Templates)-1].Text = "#{bank} #{account} #{amount} #{due}"
	if err := s.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "#{holder}") {
		t.Fatalf("Validate = %v", err)
	}
}

// TestSubscriptionOwner: a subscription names an existing customer and a
// sender profile it owns (issue case: a subscription for ghost accepted).
func TestSubscriptionOwner(t *testing.T) {
	owners := map[string][]string{"acme": {"sk-acme"}, "other": {"sk-other"}}
	owner := func(c, key string) error {
		keys, ok := owners[c]
		if !ok {
			return errors.New("no customer " + c)
		}
		for _, k := range keys {
			if k == key {
				return nil
			}
		}
		return errors.New(c + " does not own " + key)
	}
	reg, err := NewRegistry([]Subscription{sample(t)}, Options{Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	ghost := sample(t)
	ghost.MID, ghost.Customer = "ghost01", "ghost"
	if err := reg.Put(ghost); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("Put for ghost = %v", err)
	}
	foreign := sample(t)
	foreign.MID, foreign.SenderKey = "foreign1", "sk-other"
	if err := reg.Put(foreign); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "sk-other") {
		t.Fatalf("Put with another's sender profile = %v", err)
	}
	if _, err := NewRegistry([]Subscription{ghost}, Options{Owner: owner}); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewRegistry with ghost = %v", err)
	}
	if reg.Get("ghost01") != nil || reg.Get("foreign1") != nil {
		t.Fatal("a refused subscription was taken")
	}
}

// TestSuspendedMerchantEvent: events for a suspended merchant are refused
// as CUSTOMER_SUSPENDED naming the merchant (issue case: they answered
// INVALID_REQUEST).
func TestSuspendedMerchantEvent(t *testing.T) {
	dc, err := door.New(door.DefaultConfig(), door.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acme := &customer.Customer{ID: "acme", Products: []message.Product{message.ProductPaymentAlimTalk},
		SenderKeys: []string{"sk-acme"}, Suspended: true, SuspendReason: "unpaid fees"}
	sub, st := newSubmitter(t, sample(t))
	sub.Check = func(m *message.Message) error {
		if _, r := dc.Check(acme, door.Request{Product: m.Product, Recipient: m.Recipient, Text: m.Text,
			Kakao: m.Kakao, Fallback: m.Fallback, Payment: true}, time.Now()); r != nil {
			return r
		}
		return nil
	}
	ev := &upstreampb.PaymentEvent{EventId: "S-1", Mid: "shop001m", Kind: upstreampb.PaymentEventKind_APPROVAL_COMPLETED,
		Method: upstreampb.PaymentMethod_CARD, Amount: 5000, OrderName: "책", BuyerNumber: "01099998888", TimeMs: 1}
	r := sub.AnswerFrom(context.Background(), "pg", ev)
	if r.Status != upstreampb.Status_CUSTOMER_SUSPENDED || !strings.Contains(r.Reason, "acme") || !strings.Contains(r.Reason, "unpaid fees") {
		t.Fatalf("event for a suspended merchant: %v", r)
	}
	if len(st.refs) != 0 {
		t.Fatalf("stored %d messages", len(st.refs))
	}
}
