package door

import (
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

// FuzzCheck feeds arbitrary submits: Check must not panic, must answer
// either a product to store or a refusal with a known rule, and an accepted
// SMS must fit its limit.
func FuzzCheck(f *testing.F) {
	f.Add(uint8(message.ProductSMS), "02-1234-5678", "010-1234-5678", "안녕하세요", "", "", uint8(0), false)
	f.Add(uint8(message.ProductAuto), "15884954", "+82 10 1234 5678", strings.Repeat("가", 41), "", "", uint8(0), false)
	f.Add(uint8(message.ProductFriendTalkText), "", "01012345678", adText, "", "key-shop", uint8(3), true)
	f.Add(uint8(message.ProductAlimTalk), "15884954", "0111234567", "주문 😀", "제목", "key-shop", uint8(1), false)
	k := newChecker(f, nil)
	known := make(map[string]bool)
	for _, r := range Rules {
		known[r] = true
	}
	f.Fuzz(func(t *testing.T, product uint8, sender, recipient, text, subject, key string, fallback uint8, ad bool) {
		req := Request{
			Product: message.Product(product), Sender: sender, Recipient: recipient,
			Text: text, Subject: subject, Title: subject, Fallback: message.Fallback(fallback),
			Kakao: message.Kakao{SenderKey: key, TemplateCode: "T", Ad: ad, ImageURL: "https://x/a.png"},
		}
		p, r := k.Check(testCustomer(), req, noon)
		if r != nil {
			if !known[r.Rule] || !strings.HasPrefix(r.Error(), r.Rule+": ") {
				t.Fatalf("refusal %+v", r)
			}
			return
		}
		if p == message.ProductUnknown || p == message.ProductAuto {
			t.Fatalf("accepted as %v", p)
		}
		if _, ok := NormalizeRecipient(recipient); !ok {
			t.Fatalf("accepted recipient %q", recipient)
		}
		if p == message.ProductSMS {
			if n, err := euckrLen(text); err != nil || n > 80 {
				t.Fatalf("accepted SMS of %d bytes (%v)", n, err)
			}
		}
	})
}
