package door

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
)

// noon is 12:00 in Seoul, when every rule of the clock allows everything.
var noon = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

const adText = "(광고) 겨울 세일 30% 할인\n무료거부 080-123-4567"

func testCustomer() *customer.Customer {
	return &customer.Customer{
		ID:   "shop",
		Name: "Shop",
		Products: []message.Product{
			message.ProductSMS, message.ProductLMS, message.ProductAlimTalk,
			message.ProductFriendTalkText, message.ProductFriendTalkImage,
		},
		Senders:     []string{"0212345678", "15884954"},
		SenderKeys:  []string{"key-shop"},
		Advertising: true,
		Rate:        1e6,
		Burst:       1e6,
	}
}

func newChecker(t testing.TB, mod func(*Config)) *Checker {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	k, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sms(text string) Request {
	return Request{Product: message.ProductSMS, Sender: "02-1234-5678", Recipient: "010-1234-5678", Text: text}
}

func kakao(p message.Product, text string) Request {
	return Request{
		Product: p, Recipient: "01012345678", Text: text,
		Kakao: message.Kakao{SenderKey: "key-shop", TemplateCode: "T1"},
	}
}

func TestRefusalText(t *testing.T) {
	k := newChecker(t, nil)
	_, r := k.Check(testCustomer(), sms(strings.Repeat("가", 46)), noon)
	if r == nil {
		t.Fatal("92 bytes accepted as SMS")
	}
	if got, want := r.Error(), "TOO_LONG: SMS text is 92 EUC-KR bytes, limit 80"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if r.Rule != RuleTooLong || r.Value != "92" || r.Limit != "80" || r.Field != "text" || r.Measured != 92 || r.Max != 80 {
		t.Fatalf("refusal %+v", r)
	}
}

func TestRules(t *testing.T) {
	suspended := testCustomer()
	suspended.Suspended, suspended.SuspendReason = true, "unpaid fees (Art. 5-2-3)"
	smsOnly := testCustomer()
	smsOnly.Products = []message.Product{message.ProductSMS}
	noAds := testCustomer()
	noAds.Advertising = false

	with := func(r Request, f func(*Request)) Request { f(&r); return r }
	ad := func(p message.Product, text string) Request {
		return with(kakao(p, text), func(r *Request) { r.Kakao.Ad = true; r.Kakao.ImageURL = imageFor(p) })
	}
	cases := []struct {
		name string
		c    *customer.Customer
		req  Request
		rule string
		in   string // the refusal text must contain this
	}{
		{"unauthenticated", nil, sms("hi"), RuleUnauthenticated, ""},
		{"suspended", suspended, sms("hi"), RuleCustomerSuspended, "unpaid fees"},
		{"unknown product", nil, Request{Product: 42}, RuleUnauthenticated, ""},
		{"bad product", testCustomer(), with(sms("hi"), func(r *Request) { r.Product = 42 }), RuleInvalidRequest, "product(42)"},
		{"product not allowed", smsOnly, kakao(message.ProductAlimTalk, "hi"), RuleProductNotAllowed, "alimtalk"},
		{"auto needs lms", smsOnly, with(sms(strings.Repeat("a", 81)), func(r *Request) { r.Product = message.ProductAuto }), RuleProductNotAllowed, "81"},
		{"empty text", testCustomer(), sms(""), RuleMissingField, "text"},
		{"invalid utf8", testCustomer(), sms("a\xffb"), RuleInvalidRequest, "UTF-8"},
		{"invalid utf8 kakao", testCustomer(), kakao(message.ProductAlimTalk, "a\xffb"), RuleInvalidRequest, "UTF-8"},
		{"invalid utf8 title", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Title = "\xff" }), RuleInvalidRequest, "title"},
		{"invalid utf8 subject", testCustomer(), with(sms("hi"), func(r *Request) { r.Subject = "\xff" }), RuleInvalidRequest, "UTF-8"},
		{"replacement char", testCustomer(), sms("a\uFFFDb"), RuleUnencodableText, "U+FFFD"},
		{"sender", testCustomer(), with(sms("hi"), func(r *Request) { r.Sender = "010-0000-0000" }), RuleSenderNotRegistered, "010-0000-0000"},
		{"sender empty", testCustomer(), with(sms("hi"), func(r *Request) { r.Sender = "" }), RuleSenderNotRegistered, ""},
		{"recipient", testCustomer(), with(sms("hi"), func(r *Request) { r.Recipient = "02-123-4567" }), RuleRecipientInvalid, "02-123-4567"},
		{"recipient 010 short", testCustomer(), with(sms("hi"), func(r *Request) { r.Recipient = "0101234567" }), RuleRecipientInvalid, "0101234567"},
		{"unencodable", testCustomer(), sms("안녕 😀"), RuleUnencodableText, "U+1F600"},
		{"sms too long", testCustomer(), sms(strings.Repeat("a", 81)), RuleTooLong, "81 EUC-KR bytes, limit 80"},
		{"lms too long", testCustomer(), with(sms(strings.Repeat("가", 1001)), func(r *Request) { r.Product = message.ProductLMS; r.Subject = "s" }), RuleTooLong, "LMS text is 2002 EUC-KR bytes, limit 2000"},
		{"lms subject missing", testCustomer(), with(sms("hi"), func(r *Request) { r.Product = message.ProductLMS }), RuleMissingField, "subject"},
		{"lms subject long", testCustomer(), with(sms("hi"), func(r *Request) { r.Product = message.ProductLMS; r.Subject = strings.Repeat("가", 21) }), RuleTooLong, "LMS subject is 42 EUC-KR bytes, limit 40"},
		{"lms subject unencodable", testCustomer(), with(sms("hi"), func(r *Request) { r.Product = message.ProductLMS; r.Subject = "★☃" }), RuleUnencodableText, "subject"},
		{"sms fallback", testCustomer(), with(sms("hi"), func(r *Request) { r.Fallback = message.FallbackSMS }), RuleInvalidRequest, "Kakao"},
		{"alimtalk no profile", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Kakao.SenderKey = "" }), RuleMissingField, "sender profile"},
		{"alimtalk foreign profile", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Kakao.SenderKey = "key-other" }), RuleSenderNotRegistered, "key-other"},
		{"alimtalk no template", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Kakao.TemplateCode = "" }), RuleMissingField, "template code"},
		{"alimtalk too long", testCustomer(), kakao(message.ProductAlimTalk, strings.Repeat("가", 1001)), RuleTooLong, "1001 characters, limit 1000"},
		{"alimtalk title", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Title = strings.Repeat("가", 51) }), RuleTooLong, "title is 51 characters, limit 50"},
		{"alimtalk recipient", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Recipient = "+1 555 0100" }), RuleRecipientInvalid, "+1 555 0100"},
		{"alimtalk ad", testCustomer(), ad(message.ProductAlimTalk, adText), RuleAd, "informational"},
		{"friendtalk text with image", testCustomer(), with(kakao(message.ProductFriendTalkText, "hi"), func(r *Request) { r.Kakao.ImageURL = "https://x/a.png" }), RuleInvalidRequest, "image"},
		{"friendtalk image missing", testCustomer(), kakao(message.ProductFriendTalkImage, "hi"), RuleMissingField, "image"},
		{"friendtalk two images", testCustomer(), with(kakao(message.ProductFriendTalkImage, "hi"), func(r *Request) { r.Kakao.ImageURL = "https://x/a.png,https://x/b.png" }), RuleInvalidRequest, "exactly 1 image"},
		{"friendtalk image long", testCustomer(), with(kakao(message.ProductFriendTalkImage, strings.Repeat("a", 401)), func(r *Request) { r.Kakao.ImageURL = "https://x/a.png" }), RuleTooLong, "401 characters, limit 400"},
		{"ad not allowed", noAds, ad(message.ProductFriendTalkText, adText), RuleAd, "may not send advertising"},
		{"ad prefix", testCustomer(), ad(message.ProductFriendTalkText, "겨울 세일\n무료거부 080-123-4567"), RuleAd, "(광고)"},
		{"ad opt-out", testCustomer(), ad(message.ProductFriendTalkText, "(광고) 겨울 세일"), RuleAd, "opt-out"},
		{"ad opt-out not 080", testCustomer(), ad(message.ProductFriendTalkText, "(광고) 세일 무료거부 02-123-4567"), RuleAd, "opt-out"},
		{"ad sms prefix", testCustomer(), with(sms("sale! 080-123-4567 수신거부"), func(r *Request) { r.Kakao.Ad = true; r.Product = message.ProductLMS; r.Subject = "s" }), RuleAd, "(광고)"},
		{"fallback sender", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Fallback = message.FallbackSMS; r.Sender = "0100000000" }), RuleSenderNotRegistered, "fallback"},
		{"fallback sms too long", testCustomer(), with(kakao(message.ProductAlimTalk, strings.Repeat("가", 41)), func(r *Request) { r.Fallback = message.FallbackSMS; r.Sender = "15884954" }), RuleTooLong, "fallback SMS text is 82 EUC-KR bytes, limit 80"},
		{"fallback unencodable", testCustomer(), with(kakao(message.ProductFriendTalkText, "hi 😀"), func(r *Request) { r.Fallback = message.FallbackAuto; r.Sender = "15884954" }), RuleUnencodableText, "U+1F600"},
		{"fallback not allowed", func() *customer.Customer { c := testCustomer(); c.Products = c.Products[2:]; return c }(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Fallback = message.FallbackLMS; r.Sender = "15884954" }), RuleProductNotAllowed, "lms"},
		{"fallback bad", testCustomer(), with(kakao(message.ProductAlimTalk, "hi"), func(r *Request) { r.Fallback = 9 }), RuleInvalidRequest, "fallback"},
	}
	k := newChecker(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, r := k.Check(tc.c, tc.req, noon)
			if r == nil {
				t.Fatalf("accepted as %s, want %s", p, tc.rule)
			}
			if r.Rule != tc.rule || !strings.HasPrefix(r.Error(), tc.rule+": ") || !strings.Contains(r.Error(), tc.in) {
				t.Fatalf("refusal %q (value %q), want %s containing %q", r.Error(), r.Value, tc.rule, tc.in)
			}
			if r.Field == "" && tc.rule != RuleUnauthenticated && tc.rule != RuleCustomerSuspended {
				t.Fatalf("refusal %q names no field", r.Error())
			}
		})
	}
}

func imageFor(p message.Product) string {
	if p == message.ProductFriendTalkImage {
		return "https://img.example/a.png"
	}
	return ""
}

func TestAccepts(t *testing.T) {
	with := func(r Request, f func(*Request)) Request { f(&r); return r }
	cases := []struct {
		name string
		req  Request
		want message.Product
	}{
		{"sms", sms("안녕하세요"), message.ProductSMS},
		{"sms +82", with(sms("hi"), func(r *Request) { r.Recipient = "+82 10-1234-5678" }), message.ProductSMS},
		{"sms 82 old prefix", with(sms("hi"), func(r *Request) { r.Recipient = "82-16-123-4567" }), message.ProductSMS},
		{"sender spaced", with(sms("hi"), func(r *Request) { r.Sender = "1588 4954" }), message.ProductSMS},
		{"lms", with(sms(strings.Repeat("가", 1000)), func(r *Request) { r.Product = message.ProductLMS; r.Subject = strings.Repeat("가", 20) }), message.ProductLMS},
		{"alimtalk", kakao(message.ProductAlimTalk, strings.Repeat("가", 1000)), message.ProductAlimTalk},
		{"alimtalk emoji", kakao(message.ProductAlimTalk, "주문 완료 😀"), message.ProductAlimTalk},
		{"friendtalk image", with(kakao(message.ProductFriendTalkImage, strings.Repeat("a", 400)), func(r *Request) { r.Kakao.ImageURL = "https://img.example/a.png" }), message.ProductFriendTalkImage},
		{"friendtalk ad", with(kakao(message.ProductFriendTalkText, adText), func(r *Request) { r.Kakao.Ad = true }), message.ProductFriendTalkText},
		{"ad 11-digit 080", with(kakao(message.ProductFriendTalkText, "(광고) 세일 수신거부 0801234-5678"), func(r *Request) { r.Kakao.Ad = true }), message.ProductFriendTalkText},
		{"fallback sms truncate", with(kakao(message.ProductAlimTalk, strings.Repeat("가", 41)), func(r *Request) { r.Fallback = message.FallbackSMS; r.Sender = "15884954"; r.Truncate = true }), message.ProductAlimTalk},
		{"fallback auto long", with(kakao(message.ProductAlimTalk, strings.Repeat("가", 41)), func(r *Request) { r.Fallback = message.FallbackAuto; r.Sender = "15884954" }), message.ProductAlimTalk},
		{"fallback lms", with(kakao(message.ProductFriendTalkText, strings.Repeat("가", 1000)), func(r *Request) { r.Fallback = message.FallbackLMS; r.Sender = "15884954" }), message.ProductFriendTalkText},
	}
	k := newChecker(t, nil)
	for _, tc := range cases {
		p, r := k.Check(testCustomer(), tc.req, noon)
		if r != nil || p != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.name, p, r, tc.want)
		}
	}
}

func TestAutoBoundary(t *testing.T) {
	for _, limit := range []int{80, 90} {
		k := newChecker(t, func(c *Config) { c.SMSBytes = limit })
		fits := strings.Repeat("가", limit/2)          // exactly the limit
		over := strings.Repeat("가", limit/2-1) + "가a" // one byte over
		for text, want := range map[string]message.Product{fits: message.ProductSMS, over: message.ProductLMS} {
			req := sms(text)
			req.Product = message.ProductAuto
			p, r := k.Check(testCustomer(), req, noon)
			if r != nil || p != want {
				t.Errorf("limit %d, %d bytes: got %v %v, want %v", limit, len(text)/3*2+len(text)%3, p, r, want)
			}
		}
		if _, r := k.Check(testCustomer(), sms(over), noon); r == nil || r.Value != itoa(limit+1) {
			t.Errorf("limit %d: SMS of %d bytes: %v", limit, limit+1, r)
		}
	}
}

func TestThrottle(t *testing.T) {
	k := newChecker(t, nil)
	c := testCustomer()
	c.Rate, c.Burst = 2, 2
	for i := range 2 {
		if _, r := k.Check(c, sms("hi"), noon); r != nil {
			t.Fatalf("message %d: %v", i, r)
		}
	}
	_, r := k.Check(c, sms("hi"), noon)
	if r == nil || r.Rule != RuleThrottled || !strings.Contains(r.Error(), "2 messages/s (burst 2)") {
		t.Fatalf("third message: %v", r)
	}
	if r.RetryAfter != 500*time.Millisecond || r.Max != 2 {
		t.Fatalf("throttled: retry after %v, max %d", r.RetryAfter, r.Max)
	}
	if _, r := k.Check(c, sms("hi"), noon.Add(500*time.Millisecond)); r != nil {
		t.Fatalf("after refill: %v", r)
	}
	// A refused message takes no token.
	if _, r := k.Check(c, sms(strings.Repeat("a", 81)), noon.Add(time.Second)); r == nil || r.Rule != RuleTooLong {
		t.Fatalf("too long: %v", r)
	}
	// A raised rate takes effect at once: the bucket refills at the new
	// rate from the moment of the change.
	c2 := *c
	c2.Rate, c2.Burst = 100, 100
	k.Check(&c2, sms("hi"), noon.Add(time.Second))
	for i := range 50 {
		if _, r := k.Check(&c2, sms("hi"), noon.Add(1500*time.Millisecond)); r != nil {
			t.Fatalf("raised rate, message %d: %v", i, r)
		}
	}
	// A customer built without a rate is not limited.
	free := testCustomer()
	free.ID, free.Rate, free.Burst = "free", 0, 0
	for i := range 10 {
		if _, r := k.Check(free, sms("hi"), noon); r != nil {
			t.Fatalf("unlimited customer, message %d: %v", i, r)
		}
	}
	// Another customer has its own bucket.
	other := testCustomer()
	other.ID, other.Rate, other.Burst = "other", 1, 1
	if _, r := k.Check(other, sms("hi"), noon); r != nil {
		t.Fatalf("other customer: %v", r)
	}
}

// TestRateShare: a relay that takes a third of a customer's rate (one of
// three live nodes of a cluster) lets a third of its burst through, and
// refills at a third of its rate; taking all of it again restores both.
func TestRateShare(t *testing.T) {
	k := newChecker(t, nil)
	c := testCustomer()
	c.Rate, c.Burst = 30, 30
	k.SetRateShare(1.0 / 3)
	for i := range 10 {
		if _, r := k.Check(c, sms("hi"), noon); r != nil {
			t.Fatalf("message %d of a third of the burst: %v", i, r)
		}
	}
	_, r := k.Check(c, sms("hi"), noon)
	if r == nil || r.Rule != RuleThrottled || !strings.Contains(r.Error(), "this node takes 10.0/s (burst 10)") {
		t.Fatalf("message 11 with a third of the rate: %v", r)
	}
	if r.RetryAfter != 100*time.Millisecond {
		t.Errorf("retry after %v, want 100ms (a token at 10/s)", r.RetryAfter)
	}
	if _, r := k.Check(c, sms("hi"), noon.Add(100*time.Millisecond)); r != nil {
		t.Fatalf("after 100ms at 10/s: %v", r)
	}
	// Two nodes left: half of it, from now on.
	k.SetRateShare(0.5)
	at := noon.Add(time.Second)
	n := 0
	for ; n < 30; n++ {
		if _, r := k.Check(c, sms("hi"), at); r != nil {
			break
		}
	}
	if n != 9 {
		t.Errorf("at the change to half the rate: %d let through, want 9 (0.9 s earned at a third of it)", n)
	}
	if _, r := k.Check(c, sms("hi"), at.Add(time.Second/15)); r != nil {
		t.Fatalf("1/15 s after the change, at 15/s: %v", r)
	}
	k.SetRateShare(1)
	if _, r := k.Check(c, sms("hi"), at.Add(time.Second)); r != nil {
		t.Fatalf("all of the rate again: %v", r)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (&Config{}).Validate(); err != nil {
		t.Fatalf("zero config (all defaults): %v", err)
	}
	if err := (&Config{SMSBytes: 20}).Validate(); err == nil {
		t.Fatal("20-byte SMS accepted")
	}
	partial := Config{SMSBytes: 90}
	partial.SetDefaults()
	if want := DefaultConfig(); partial.LMSBytes != want.LMSBytes || partial.SMSBytes != 90 || partial.AlimTalkTitleChars != 50 {
		t.Fatalf("SetDefaults: %+v", partial)
	}
	k, err := New(Config{SMSBytes: 90}, Options{})
	if err != nil || k.Config() != partial {
		t.Fatalf("New with a partial config: %+v, %v", k.Config(), err)
	}
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.SMSBytes, c.LMSBytes = 90, 80
	if _, err := New(c, Options{}); err == nil {
		t.Fatal("LMS limit below SMS accepted")
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	k := newChecker(t, nil)
	c := testCustomer()
	for name, req := range map[string]Request{
		"sms":      sms("[쇼핑몰] 주문하신 상품이 발송되었습니다."),
		"auto":     func() Request { r := sms(strings.Repeat("가", 60)); r.Product = message.ProductAuto; return r }(),
		"alimtalk": kakao(message.ProductAlimTalk, "주문이 완료되었습니다."),
	} {
		if n := testing.AllocsPerRun(200, func() { k.Check(c, req, noon) }); n != 0 {
			t.Errorf("%s: %v allocations per Check", name, n)
		}
	}
}

func BenchmarkCheckSMS(b *testing.B) {
	k := newChecker(b, nil)
	c := testCustomer()
	req := sms("[쇼핑몰] 주문하신 상품이 발송되었습니다. 감사합니다.")
	now := noon
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond) // the bucket's 1e6/s keeps up
		if _, r := k.Check(c, req, now); r != nil {
			b.Fatal(r)
		}
	}
}

func BenchmarkCheckAlimTalk(b *testing.B) {
	k := newChecker(b, nil)
	c := testCustomer()
	req := kakao(message.ProductAlimTalk, strings.Repeat("주문이 완료되었습니다. ", 20))
	req.Fallback, req.Sender = message.FallbackAuto, "15884954"
	now := noon
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		if _, r := k.Check(c, req, now); r != nil {
			b.Fatal(r)
		}
	}
}

func BenchmarkCheckRefused(b *testing.B) {
	k := newChecker(b, nil)
	c := testCustomer()
	req := sms(strings.Repeat("가", 46))
	b.ReportAllocs()
	for b.Loop() {
		if _, r := k.Check(c, req, noon); r == nil {
			b.Fatal("accepted")
		}
	}
}

func TestLMSSubjectOptional(t *testing.T) {
	req := sms("hi")
	req.Product = message.ProductLMS
	if _, r := newChecker(t, nil).Check(testCustomer(), req, noon); r == nil || r.Rule != RuleMissingField {
		t.Fatalf("default: %v", r)
	}
	k := newChecker(t, func(c *Config) { c.LMSSubjectOptional = true })
	if p, r := k.Check(testCustomer(), req, noon); r != nil || p != message.ProductLMS {
		t.Fatalf("optional: %v %v", p, r)
	}
}

// TestStoreLimitsAtTheDoor: every field is held to what the store keeps,
// as a permanent TOO_LONG naming it, whatever the product, before any rule
// that could ask for a retry; a field at the limit passes that check.
func TestStoreLimitsAtTheDoor(t *testing.T) {
	k := newChecker(t, nil)
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, c := range []struct {
		field string
		req   Request
	}{
		{"client_ref", func() Request { r := sms("hi"); r.ClientRef = long(message.MaxIndexed + 1); return r }()},
		{"recipient", func() Request { r := sms("hi"); r.Recipient = long(message.MaxIndexed + 1); return r }()},
		{"buttons", func() Request {
			r := kakao(message.ProductFriendTalkText, "hi")
			r.Kakao.Buttons = long(message.MaxField + 1)
			return r
		}()},
		{"title", func() Request {
			r := kakao(message.ProductFriendTalkText, "hi")
			r.Title = long(message.MaxField + 1)
			return r
		}()},
		{"template_code", func() Request {
			r := kakao(message.ProductAlimTalk, "hi")
			r.Kakao.TemplateCode = long(message.MaxField + 1)
			return r
		}()},
	} {
		_, r := k.Check(testCustomer(), c.req, noon)
		if r == nil || r.Rule != RuleTooLong || r.Field != c.field || r.RetryAfter != 0 || r.Max == 0 || r.Measured <= r.Max {
			t.Errorf("over-long %s: %+v, want TOO_LONG naming it with the length and the limit", c.field, r)
		}
	}
	ok := sms("hi")
	ok.ClientRef = long(message.MaxIndexed)
	if _, r := k.Check(testCustomer(), ok, noon); r != nil {
		t.Errorf("a client_ref of %d bytes: %v", message.MaxIndexed, r)
	}
	if r := StoreRefusal(fmt.Errorf("store: invalid message: %w", &message.FieldError{Field: "client_ref", Len: 300, Max: 255})); r.Rule != RuleTooLong || r.Field != "client_ref" {
		t.Errorf("StoreRefusal: %+v", r)
	}
	if r := UnknownValue("product", 257); r.Rule != RuleInvalidRequest || r.Field != "product" || r.Value != "257" {
		t.Errorf("UnknownValue: %+v", r)
	}
}

// The door decides the fallback leg with the same rule the dispatcher
// applies when Kakao fails, and with what the customer may send.
func TestFallbackDecidedOnce(t *testing.T) {
	k := newChecker(t, nil)
	lmsOnly := testCustomer()
	lmsOnly.Products = []message.Product{message.ProductLMS, message.ProductAlimTalk}
	smsOnly := testCustomer()
	smsOnly.Products = []message.Product{message.ProductSMS, message.ProductAlimTalk}
	short, long := "짧은 안내", strings.Repeat("가", 41)
	for _, tc := range []struct {
		name     string
		c        *customer.Customer
		fb       message.Fallback
		text     string
		truncate bool
		want     message.Fallback
		sent     string // the text the leg carries
	}{
		{"auto short", testCustomer(), message.FallbackAuto, short, false, message.FallbackSMS, short},
		{"auto long", testCustomer(), message.FallbackAuto, long, false, message.FallbackLMS, long},
		{"auto short, no SMS", lmsOnly, message.FallbackAuto, short, false, message.FallbackLMS, short},
		{"auto long, no LMS, cut", smsOnly, message.FallbackAuto, long, true, message.FallbackSMS, strings.Repeat("가", 40)},
		{"sms cut", testCustomer(), message.FallbackSMS, long, true, message.FallbackSMS, strings.Repeat("가", 40)},
		{"lms", testCustomer(), message.FallbackLMS, short, false, message.FallbackLMS, short},
		{"none", testCustomer(), message.FallbackNone, short, false, message.FallbackNone, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kakao(message.ProductAlimTalk, tc.text)
			req.Fallback, req.Truncate, req.Sender = tc.fb, tc.truncate, "15884954"
			d, r := k.Decide(tc.c, req, noon)
			if r != nil {
				t.Fatalf("refused: %v", r)
			}
			if d.Product != message.ProductAlimTalk || d.Fallback != tc.want {
				t.Fatalf("decided %v with fallback %v, want alimtalk with %v", d.Product, d.Fallback, tc.want)
			}
			// What the dispatcher sends when Kakao fails: the same rule on
			// the stored decision, with no customer to ask.
			p, text, r := FallbackLeg(k.Config(), nil, d.Fallback, tc.text, tc.truncate)
			if r != nil || p != tc.want.Product() || text != tc.sent {
				t.Fatalf("leg %v %q (%v), want %v %q", p, text, r, tc.want.Product(), tc.sent)
			}
		})
	}
	_, r := k.Decide(smsOnly, func() Request {
		req := kakao(message.ProductAlimTalk, long)
		req.Fallback, req.Sender = message.FallbackAuto, "15884954"
		return req
	}(), noon)
	if r == nil || r.Rule != RuleProductNotAllowed || r.Field != "fallback" {
		t.Fatalf("long auto fallback for a customer without LMS: %v, want PRODUCT_NOT_ALLOWED on fallback", r)
	}
}
