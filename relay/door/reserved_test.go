package door

import (
	"slices"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

// TestReservedSender: a message from the company's representative number
// is refused saying the number is reserved for the company, naming it
// (issue case: `relayctl send -from 1588-4954` from demo), as the sender
// and as a fallback's sender; an unregistered number that is not reserved
// keeps the plain wording.
func TestReservedSender(t *testing.T) {
	k, err := New(DefaultConfig(), Options{Reserved: []string{"15884954"}})
	if err != nil {
		t.Fatal(err)
	}
	c := testCustomer()
	c.Senders = slices.DeleteFunc(c.Senders, func(s string) bool { return s == "15884954" })

	req := sms("대표번호로 보내기")
	req.Sender = "1588-4954"
	fallback := kakao(message.ProductFriendTalkText, "안내")
	fallback.Fallback, fallback.Sender = message.FallbackSMS, "1588 4954"
	for name, req := range map[string]Request{"sender": req, "fallback": fallback} {
		_, r := k.Check(c, req, noon)
		if r == nil || r.Rule != RuleSenderNotRegistered || r.Field != name ||
			!strings.Contains(r.Reason, "15884954 is reserved for the company") {
			t.Errorf("%s from the representative number: %v", name, r)
		}
	}

	req.Sender = "02-9999-0000"
	if _, r := k.Check(c, req, noon); r == nil || r.Rule != RuleSenderNotRegistered ||
		strings.Contains(r.Reason, "reserved") || !strings.Contains(r.Reason, "not registered for customer shop") {
		t.Errorf("an unregistered number: %v", r)
	}
	// A customer's own number passes whatever is reserved.
	req.Sender = "02-1234-5678"
	if _, r := k.Check(c, req, noon); r != nil {
		t.Errorf("a registered number: %v", r)
	}
}
