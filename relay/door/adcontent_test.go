package door

import (
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// elevenPM is 23:00 Seoul time: night for every advertisement.
var elevenPM = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)

// TestAdByContent: a text opening with (광고) is an advertisement whatever
// the ad flag says (issue cases: an SMS "(광고) 50% 세일 오늘만" from a
// customer without ad permission; (광고) FriendTalk and SMS at 23:00 KST;
// an AlimTalk opening with (광고)).
func TestAdByContent(t *testing.T) {
	k := newChecker(t, nil)
	noAds := testCustomer()
	noAds.Advertising = false
	cases := []struct {
		name  string
		cust  bool // true: the customer without ad permission
		req   Request
		at    time.Time
		field string
		in    string // the reason names this
	}{
		{"sms without ad permission", true, sms("(광고) 50% 세일 오늘만"), noon, "ad", "may not send advertising"},
		{"full-width prefix without ad permission", true, sms("（광고） 50% 세일 오늘만"), noon, "ad", "may not send advertising"},
		{"sms at 23:00", false, sms(adText), elevenPM, "ad", "21:00"},
		{"lms at 23:00", false, Request{Product: message.ProductLMS, Sender: "0212345678", Recipient: "01012345678", Subject: "세일", Text: adText}, elevenPM, "ad", "21:00"},
		{"friendtalk at 23:00", false, kakao(message.ProductFriendTalkText, adText), elevenPM, "ad", "20:50"},
		{"friendtalk spaced prefix at 23:00", false, kakao(message.ProductFriendTalkText, "\u200b( 광고 ) 세일\n무료거부 080-123-4567"), elevenPM, "ad", "20:50"},
		{"alimtalk with ad text", false, kakao(message.ProductAlimTalk, adText), noon, "text", "cannot carry advertising"},
		{"alimtalk with bracketed ad text", false, kakao(message.ProductAlimTalk, "[광고] 세일"), noon, "text", "cannot carry advertising"},
		{"ad text without opt-out line", false, sms("(광고) 50% 세일 오늘만"), noon, "text", "opt-out"},
		{"friendtalk ad text without opt-out line", false, kakao(message.ProductFriendTalkText, "(광고) 세일"), noon, "text", "opt-out"},
		{"flagged without prefix", false, func() Request { r := sms("겨울 세일 무료거부 080-123-4567"); r.Kakao.Ad = true; return r }(), noon, "text", "must start with"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cu := testCustomer()
			if c.cust {
				cu = noAds
			}
			if c.req.Kakao.Ad && !strings.Contains(c.name, "flagged") {
				t.Fatal("the case must leave the ad flag unset")
			}
			_, r := k.Check(cu, c.req, c.at)
			if r == nil {
				t.Fatal("accepted")
			}
			if r.Rule != RuleAd || r.Field != c.field || !strings.Contains(r.Reason, c.in) {
				t.Fatalf("refusal %v (field %q), want %s on %q naming %q", r, r.Field, RuleAd, c.field, c.in)
			}
		})
	}
	// The same advertisements pass in the daytime from a customer that may
	// advertise, and a text that merely mentions 광고 is no advertisement.
	for _, req := range []Request{sms(adText), kakao(message.ProductFriendTalkText, adText), sms("광고 문의는 고객센터로"), kakao(message.ProductAlimTalk, "주문 안내 (광고 아님)")} {
		if _, r := k.Check(testCustomer(), req, noon); r != nil {
			t.Errorf("%q refused: %v", req.Text, r)
		}
	}
	if _, r := k.Check(noAds, kakao(message.ProductAlimTalk, "주문이 접수되었습니다"), elevenPM); r != nil {
		t.Errorf("a night AlimTalk without ad content refused: %v", r)
	}
}

func TestAdRequestFlag(t *testing.T) {
	for text, want := range map[string]bool{adText: true, "［광고］ x": true, "주문 안내": false} {
		r := sms(text)
		if r.IsAd() != want {
			t.Errorf("IsAd(%q) = %v", text, !want)
		}
	}
	r := sms("주문 안내")
	r.Kakao.Ad = true
	if !r.IsAd() {
		t.Error("a flagged request is an advertisement")
	}
}

type optOutSet map[string]bool

func (s optOutSet) OptedOut(customer, recipient string) bool { return s[customer+"/"+recipient] }

// TestOptedOut: an advertisement to a number on the customer's opt-out
// list is refused with OPTED_OUT; other messages to it are not affected,
// nor are another customer's advertisements.
func TestOptedOut(t *testing.T) {
	k, err := New(DefaultConfig(), Options{OptOuts: optOutSet{"shop/01012345678": true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []Request{sms(adText), kakao(message.ProductFriendTalkText, adText)} {
		req.Recipient = "+82 10-1234-5678"
		_, r := k.Check(testCustomer(), req, noon)
		if r == nil || r.Rule != RuleOptedOut || r.Value != "01012345678" || r.Field != "recipient" {
			t.Fatalf("%s ad to an opted-out number: %v", req.Product, r)
		}
	}
	for _, req := range []Request{sms("주문이 발송되었습니다"), kakao(message.ProductAlimTalk, "주문 안내")} {
		if _, r := k.Check(testCustomer(), req, noon); r != nil {
			t.Errorf("non-ad to an opted-out number refused: %v", r)
		}
	}
	other := testCustomer()
	other.ID = "other"
	if _, r := k.Check(other, sms(adText), noon); r != nil {
		t.Errorf("another customer's ad refused: %v", r)
	}
}
