package payment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

const sampleTOML = `
[[payment]]
mid = "shop001m"
customer = "acme"
sender_key = "sk-acme"
[payment.merchant]
events = ["approval", "cancellation"]
recipients = ["010-1111-2222", "01033334444"]
[payment.buyer]
events = ["approval", "cancellation", "vaccount_issued"]
[[payment.template]]
audience = "merchant"
event = "approval"
code = "M_APPR"
text = "[#{mid}] #{order_name} #{amount} #{method} 승인"
[[payment.template]]
audience = "merchant"
event = "cancellation"
code = "M_CNCL"
text = "#{order_name} #{amount} 취소"
[[payment.template]]
audience = "buyer"
event = "approval"
code = "B_APPR"
text = "#{order_name} #{amount} 결제완료 (#{method})"
[[payment.template]]
audience = "buyer"
event = "cancellation"
code = "B_CNCL"
text = "#{order_name} 결제취소 #{amount}"
[[payment.template]]
audience = "buyer"
event = "vaccount_issued"
code = "B_VACC"
text = "#{bank} #{account} (예금주 #{holder}) 으로 #{amount}을 #{due}까지 입금해 주세요"
`

func sample(t testing.TB) Subscription {
	t.Helper()
	var cfg struct {
		Payment []Subscription `toml:"payment"`
	}
	if _, err := toml.Decode(sampleTOML, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Payment) != 1 {
		t.Fatalf("decoded %d subscriptions", len(cfg.Payment))
	}
	s := cfg.Payment[0]
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

func event(kind Kind, method Method) Event {
	return Event{
		ID: "ev-1", MID: "shop001m", Kind: kind, Method: method, Amount: 12300,
		OrderID: "o-9", OrderName: "커피 2잔", BuyerNumber: "010-5555-6666",
		At: time.Date(2026, 11, 26, 1, 2, 0, 0, time.UTC), Bank: "국민", Account: "123-456",
		Holder: "(주)커피", DueAt: time.Date(2026, 11, 28, 14, 59, 0, 0, time.UTC),
	}
}

func TestValidateRules(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Subscription)
		want string
	}{
		{"buyer cancellation without approval", func(s *Subscription) {
			s.Buyer.Events = []Notice{NoticeCancellation}
			s.Templates = s.Templates[:2]
			s.Templates = append(s.Templates, Template{AudienceBuyer, NoticeCancellation, "X", "x"})
		}, "buyer cancellation requires buyer approval"},
		{"no recipients", func(s *Subscription) { s.Merchant.Recipients = nil }, "at least 1 recipient"},
		{"21 recipients", func(s *Subscription) {
			s.Merchant.Recipients = nil
			for i := range 21 {
				s.Merchant.Recipients = append(s.Merchant.Recipients, fmt.Sprintf("010%08d", i))
			}
		}, "at most 20"},
		{"landline recipient", func(s *Subscription) { s.Merchant.Recipients[0] = "0212345678" }, "not a Korean mobile"},
		{"letters", func(s *Subscription) { s.Merchant.Recipients[0] = "010abcd1234" }, "not a Korean mobile"},
		{"duplicate recipient", func(s *Subscription) { s.Merchant.Recipients[1] = "01011112222" }, "twice"},
		{"merchant vaccount", func(s *Subscription) {
			s.Merchant.Events = append(s.Merchant.Events, NoticeVAccountIssued)
		}, "merchant events"},
		{"missing template", func(s *Subscription) { s.Templates = s.Templates[1:] }, "has no template"},
		{"unknown placeholder", func(s *Subscription) { s.Templates[0].Text = "#{card_no}" }, "unknown placeholder"},
		{"unterminated placeholder", func(s *Subscription) { s.Templates[0].Text = "#{amount" }, "unterminated"},
		{"no sender key", func(s *Subscription) { s.SenderKey = "" }, "sender profile"},
		{"too long", func(s *Subscription) { s.Templates[0].Text = strings.Repeat("가", 1001) }, "1001 characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s0 := sample(t)
			s := s0.clone()
			c.edit(s)
			err := s.Validate()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want ErrConfig naming %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "invalid configuration") {
				t.Fatalf("error %q does not say invalid configuration", err)
			}
		})
	}
	// 20 recipients is fine; buyer approval alone is fine.
	s0 := sample(t)
	s := s0.clone()
	s.Merchant.Recipients = nil
	for i := range 20 {
		s.Merchant.Recipients = append(s.Merchant.Recipients, fmt.Sprintf("010%08d", i))
	}
	s.Buyer.Events = []Notice{NoticeApproval}
	s.Templates = s.Templates[:3]
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func recipients(msgs []message.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Recipient+"/"+m.Kakao.TemplateCode)
	}
	return out
}

func TestExpandTiming(t *testing.T) {
	sub := sample(t)
	cases := []struct {
		kind   Kind
		method Method
		want   string
	}{
		{KindApproval, MethodCard, "01011112222/M_APPR 01033334444/M_APPR 01055556666/B_APPR"},
		{KindApproval, MethodAccountTransfer, "01011112222/M_APPR 01033334444/M_APPR 01055556666/B_APPR"},
		{KindApproval, MethodMobile, "01011112222/M_APPR 01033334444/M_APPR 01055556666/B_APPR"},
		// a virtual account is approved by the deposit, not by issuance
		{KindApproval, MethodVirtualAccount, ""},
		{KindVAccountIssued, MethodVirtualAccount, "01055556666/B_VACC"},
		{KindDeposit, MethodVirtualAccount, "01011112222/M_APPR 01033334444/M_APPR 01055556666/B_APPR"},
		{KindCancellation, MethodVirtualAccount, "01011112222/M_CNCL 01033334444/M_CNCL 01055556666/B_CNCL"},
		{KindCancellation, MethodCard, "01011112222/M_CNCL 01033334444/M_CNCL 01055556666/B_CNCL"},
	}
	for _, c := range cases {
		msgs, err := Expand(event(c.kind, c.method), &sub)
		if err != nil {
			t.Fatalf("%s/%s: %v", c.kind, c.method, err)
		}
		if got := strings.Join(recipients(msgs), " "); got != c.want {
			t.Errorf("%s/%s: got %q, want %q", c.kind, c.method, got, c.want)
		}
		for _, m := range msgs {
			if m.Product != message.ProductPaymentAlimTalk || m.Sender != FallbackSender ||
				m.Fallback != message.FallbackAuto || m.Kakao.SenderKey != "sk-acme" || m.Customer != "acme" {
				t.Errorf("message fields: %+v", m)
			}
		}
	}
	for _, k := range []Kind{KindVAccountIssued, KindDeposit} {
		if _, err := Expand(event(k, MethodCard), &sub); !errors.Is(err, ErrEvent) {
			t.Errorf("%s for a card: err = %v", k, err)
		}
	}
	// Buyer subscribed only to approval: issuance sends nothing.
	s2 := sub.clone()
	s2.Buyer.Events = []Notice{NoticeApproval}
	s2.Templates = slicesWithout(s2.Templates, "B_CNCL", "B_VACC")
	if err := s2.Validate(); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := Expand(event(KindVAccountIssued, MethodVirtualAccount), s2); len(msgs) != 0 {
		t.Fatalf("issuance without subscription sent %v", recipients(msgs))
	}
}

func slicesWithout(ts []Template, codes ...string) []Template {
	var out []Template
	for _, t := range ts {
		if !strings.Contains(strings.Join(codes, ","), t.Code) {
			out = append(out, t)
		}
	}
	return out
}

func TestRender(t *testing.T) {
	sub := sample(t)
	msgs, err := Expand(event(KindApproval, MethodCard), &sub)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := msgs[0].Text, "[shop001m] 커피 2잔 12,300원 신용카드 승인"; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
	msgs, _ = Expand(event(KindVAccountIssued, MethodVirtualAccount), &sub)
	if got, want := msgs[0].Text, "국민 123-456 (예금주 (주)커피) 으로 12,300원을 2026-11-28 23:59까지 입금해 주세요"; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
}

func TestFormatWon(t *testing.T) {
	for in, want := range map[int64]string{
		0: "0원", 5: "5원", 999: "999원", 1000: "1,000원", 12300: "12,300원",
		1234567: "1,234,567원", -5000: "-5,000원", 100000000: "100,000,000원",
		-9223372036854775808: "-9,223,372,036,854,775,808원",
	} {
		if got := FormatWon(in); got != want {
			t.Errorf("FormatWon(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestClientRefDeterministic(t *testing.T) {
	sub := sample(t)
	a, _ := Expand(event(KindApproval, MethodCard), &sub)
	ev := event(KindApproval, MethodCard)
	ev.Amount = 999 // a resend with other fields still maps to the same refs
	b, _ := Expand(ev, &sub)
	seen := map[string]bool{}
	for i := range a {
		if a[i].ClientRef != b[i].ClientRef {
			t.Fatalf("refs differ: %s %s", a[i].ClientRef, b[i].ClientRef)
		}
		if seen[a[i].ClientRef] {
			t.Fatalf("ref %s used twice in one event", a[i].ClientRef)
		}
		seen[a[i].ClientRef] = true
	}
	if ClientRef("e1", AudienceBuyer, "01012345678") == ClientRef("e2", AudienceBuyer, "01012345678") ||
		ClientRef("e1", AudienceBuyer, "01012345678") == ClientRef("e1", AudienceMerchant, "01012345678") {
		t.Fatal("refs collide across events or audiences")
	}
}

// fakeStore is idempotent on (customer, client ref) like the real store.
type fakeStore struct {
	mu   sync.Mutex
	refs map[string]message.ID
	n    message.ID
	fail error
}

func (f *fakeStore) Accept(_ context.Context, m *message.Message) (message.ID, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, false, f.fail
	}
	k := m.Customer + "\x00" + m.ClientRef
	if id, ok := f.refs[k]; ok {
		return id, true, nil
	}
	f.n++
	f.refs[k] = f.n
	return f.n, false, nil
}

func TestSubmitIdempotent(t *testing.T) {
	reg, err := NewRegistry([]Subscription{sample(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := &fakeStore{refs: map[string]message.ID{}}
	sub := &Submitter{Registry: reg, Store: st}
	pe := &upstreampb.PaymentEvent{
		EventId: "E-77", Mid: "shop001m", Kind: upstreampb.PaymentEventKind_APPROVAL_COMPLETED,
		Method: upstreampb.PaymentMethod_CARD, Amount: 5000, OrderName: "책", BuyerNumber: "01099998888", TimeMs: 1,
	}
	r1 := sub.Answer(context.Background(), pe)
	r2 := sub.Answer(context.Background(), pe)
	if r1.Status != upstreampb.Status_OK || r1.Duplicate || len(r1.MessageIds) != 3 {
		t.Fatalf("first: %v", r1)
	}
	if r2.Status != upstreampb.Status_OK || !r2.Duplicate || strings.Join(r2.MessageIds, ",") != strings.Join(r1.MessageIds, ",") {
		t.Fatalf("second: %v (first %v)", r2, r1)
	}
	if len(st.refs) != 3 {
		t.Fatalf("store holds %d messages, want 3", len(st.refs))
	}
	pe.Mid = "nope"
	if r := sub.Answer(context.Background(), pe); r.Status != upstreampb.Status_INVALID_REQUEST {
		t.Fatalf("unknown MID: %v", r)
	}
	pe.Mid, pe.EventId = "shop001m", "E-78"
	st.fail = errors.New("disk gone")
	if r := sub.Answer(context.Background(), pe); r.Status != upstreampb.Status_STORE_UNAVAILABLE {
		t.Fatalf("store failure: %v", r)
	}
}

func TestRegistryRecipientsAndObserver(t *testing.T) {
	var mu sync.Mutex
	var log []string
	var refuse bool
	obs := ObserverFunc(func(c Change, s *Subscription) error {
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			return errors.New("disk full")
		}
		log = append(log, fmt.Sprintf("%s:%s:%d", c, s.MID, len(s.Merchant.Recipients)))
		return nil
	})
	reg, err := NewRegistry([]Subscription{sample(t)}, Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i < MaxRecipients; i++ {
		if err := reg.AddRecipient("shop001m", fmt.Sprintf("010-7777-%04d", i)); err != nil {
			t.Fatalf("recipient %d: %v", i+1, err)
		}
	}
	if n := len(reg.Get("shop001m").Merchant.Recipients); n != MaxRecipients {
		t.Fatalf("have %d recipients", n)
	}
	if err := reg.AddRecipient("shop001m", "01088889999"); !errors.Is(err, ErrTooManyRecipients) {
		t.Fatalf("21st recipient: %v", err)
	}
	if err := reg.AddRecipient("shop001m", "01077770005"); !errors.Is(err, ErrConfig) {
		t.Fatalf("duplicate recipient: %v", err)
	}
	if err := reg.AddRecipient("shop001m", "0311234567"); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad number: %v", err)
	}
	// Effective at once for the next event.
	msgs, err := reg.Expand(event(KindApproval, MethodCard))
	if err != nil || len(msgs) != MaxRecipients+1 {
		t.Fatalf("expand after adding: %d, %v", len(msgs), err)
	}
	mu.Lock()
	refuse = true
	mu.Unlock()
	if err := reg.RemoveRecipient("shop001m", "01011112222"); err == nil {
		t.Fatal("change made though the observer refused")
	}
	if n := len(reg.Get("shop001m").Merchant.Recipients); n != MaxRecipients {
		t.Fatalf("refused change took effect: %d", n)
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	if err := reg.RemoveRecipient("shop001m", "010-1111-2222"); err != nil {
		t.Fatal(err)
	}
	if err := reg.RemoveRecipient("shop001m", "01011112222"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	if len(log) != MaxRecipients-1 || log[0] != "add_recipient:shop001m:3" {
		t.Fatalf("observer saw %v", log)
	}
	// The rule holds for runtime Put too.
	bad := sample(t)
	bad.Buyer.Events = []Notice{NoticeCancellation, NoticeVAccountIssued}
	if err := reg.Put(bad); !errors.Is(err, ErrConfig) {
		t.Fatalf("Put broke the rule: %v", err)
	}
	if err := reg.Remove("shop001m"); err != nil || reg.Get("shop001m") != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := reg.Expand(event(KindApproval, MethodCard)); !errors.Is(err, ErrUnknownMID) {
		t.Fatalf("expand removed MID: %v", err)
	}
}

func TestRegistryConcurrentReads(t *testing.T) {
	reg, err := NewRegistry([]Subscription{sample(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 15 {
			_ = reg.AddRecipient("shop001m", fmt.Sprintf("0106666%04d", i))
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 200 {
				if msgs, err := reg.Expand(event(KindApproval, MethodCard)); err != nil || len(msgs) < 3 {
					t.Errorf("expand: %d %v", len(msgs), err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzRender(f *testing.F) {
	f.Add("#{order_name} #{amount}")
	f.Add("#{")
	f.Add("#{x}#{amount")
	f.Fuzz(func(t *testing.T, text string) {
		ev := event(KindApproval, MethodCard)
		out := render(text, &ev)
		if checkPlaceholders(text) == nil && strings.Contains(out, "#{amount}") {
			t.Fatalf("placeholder left in %q", out)
		}
	})
}

func BenchmarkExpand(b *testing.B) {
	sub := sample(b)
	ev := event(KindApproval, MethodCard)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Expand(ev, &sub); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOutOfSchemaEnumsRefused: a kind or method number the protocol does not
// define is refused, not wrapped onto a defined one (257 onto an approval,
// 258 onto a card payment).
func TestOutOfSchemaEnumsRefused(t *testing.T) {
	reg, err := NewRegistry([]Subscription{sample(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub := &Submitter{Registry: reg, Store: &fakeStore{refs: map[string]message.ID{}}}
	for _, pe := range []*upstreampb.PaymentEvent{
		{EventId: "E-1", Mid: "shop001m", Kind: 257, Method: upstreampb.PaymentMethod_CARD,
			Amount: 5000, OrderName: "책", BuyerNumber: "01099998888", TimeMs: 1},
		{EventId: "E-2", Mid: "shop001m", Kind: upstreampb.PaymentEventKind_APPROVAL_COMPLETED, Method: 257,
			Amount: 5000, OrderName: "책", BuyerNumber: "01099998888", TimeMs: 1},
		{EventId: "E-3", Mid: "shop001m", Kind: -255, Method: upstreampb.PaymentMethod_CARD,
			Amount: 5000, OrderName: "책", BuyerNumber: "01099998888", TimeMs: 1},
	} {
		if r := sub.Answer(context.Background(), pe); r.Status != upstreampb.Status_INVALID_REQUEST {
			t.Errorf("kind %d method %d: %v, want INVALID_REQUEST", pe.Kind, pe.Method, r)
		}
	}
}

// batchStore is a fakeStore that takes an event's messages at once, as the
// relay's accept path does.
type batchStore struct {
	fakeStore
	batches []int
}

func (b *batchStore) AcceptAll(ctx context.Context, ms []*message.Message) ([]message.ID, []bool, []error) {
	b.batches = append(b.batches, len(ms))
	ids, dups, errs := make([]message.ID, len(ms)), make([]bool, len(ms)), make([]error, len(ms))
	for i, m := range ms {
		ids[i], dups[i], errs[i] = b.Accept(ctx, m)
	}
	return ids, dups, errs
}

// TestSubmitInOneBatch: an event's messages reach a BatchAccepter in one
// call (on a cluster node: their references claimed at once); a refusal
// at the door still accepts the messages before it, and the event sent
// again finds them as duplicates.
func TestSubmitInOneBatch(t *testing.T) {
	reg, err := NewRegistry([]Subscription{sample(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := &batchStore{fakeStore: fakeStore{refs: map[string]message.ID{}}}
	refuseThird := true
	n := 0
	sub := &Submitter{Registry: reg, Store: st, Check: func(*message.Message) error {
		n++
		if refuseThird && n == 3 {
			return &door.Refusal{Rule: "CUSTOMER_SUSPENDED", Reason: "suspended"}
		}
		return nil
	}}
	ctx := context.Background()
	ev := event(KindApproval, MethodCard)
	ids, dup, err := sub.Submit(ctx, ev)
	var refusal *door.Refusal
	if !errors.As(err, &refusal) || dup || len(ids) != 2 || !slices.Equal(st.batches, []int{2}) {
		t.Fatalf("third refused: ids %v dup %v err %v batches %v, want the first two in one batch", ids, dup, err, st.batches)
	}
	refuseThird, n = false, 0
	again, dup, err := sub.Submit(ctx, ev)
	if err != nil || dup || len(again) != 3 || !slices.Equal(again[:2], ids) || !slices.Equal(st.batches, []int{2, 3}) {
		t.Fatalf("sent again: ids %v dup %v err %v batches %v, want the first two ids and a new one in one batch", again, dup, err, st.batches)
	}
	if _, dup, err := sub.Submit(ctx, ev); err != nil || !dup {
		t.Fatalf("a third time: dup %v err %v", dup, err)
	}
}
