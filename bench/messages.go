package bench

import (
	"strconv"
	"strings"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Korean texts of each product, within the door's limits: the SMS fits 80
// EUC-KR bytes, the LMS is a few hundred.
var (
	smsTexts = []string{
		"[상점] 주문하신 상품이 발송되었습니다. 운송장 123-456",
		"[은행] 인증번호는 482913 입니다. 타인에게 알리지 마세요.",
		"[예약] 내일 오후 3시 진료 예약이 확인되었습니다.",
	}
	lmsText   = strings.Repeat("고객님, 주문하신 상품의 배송이 시작되었습니다. ", 12)
	kakaoText = "안녕하세요, 고객님. 주문번호 A-1029 결제가 완료되었습니다. " +
		"배송이 시작되면 다시 알려드리겠습니다. 이용해 주셔서 감사합니다."
)

// message builds submit i of the run; the mix is laid out over a cycle
// of mix.total() submits so each product comes at its weight.
func (c *Config) message(i int, ref string) *upstreampb.Submit {
	s := new(upstreampb.Submit)
	c.fill(s, i, recipient(i), ref)
	return s
}

// recipient is the number message i goes to: 010 and eight digits from
// 10000000 on.
func recipient(i int) string {
	var b [11]byte
	return string(appendRecipient(b[:0], i))
}

func appendRecipient(dst []byte, i int) []byte {
	return strconv.AppendInt(append(dst, "010"...), int64(10000000+i%90000000), 10)
}

// fill sets s (reset first) to submit i of the run.
func (c *Config) fill(s *upstreampb.Submit, i int, recipient, ref string) {
	s.Reset()
	s.ClientRef, s.Sender, s.Recipient = ref, c.Sender, recipient
	m := c.Mix
	k := i % m.total()
	switch {
	case k < m.SMS:
		s.Product = upstreampb.Product_PRODUCT_SMS
		s.Text = smsTexts[i%len(smsTexts)]
	case k < m.SMS+m.LMS:
		s.Product = upstreampb.Product_PRODUCT_LMS
		s.Subject = "배송 안내"
		s.Text = lmsText
	case k < m.SMS+m.LMS+m.AlimTalk:
		s.Product = upstreampb.Product_PRODUCT_ALIMTALK
		s.SenderKey, s.TemplateCode = c.SenderKey, c.Template
		s.Text = kakaoText
		// Spread the fallbacks evenly: message j of the AlimTalk share
		// asks for one when the running share falls short.
		j := i / m.total()
		if int(float64(j+1)*m.AlimTalkFallback) > int(float64(j)*m.AlimTalkFallback) {
			s.Fallback = upstreampb.Fallback_FALLBACK_AUTO
		}
	default:
		s.Product = upstreampb.Product_PRODUCT_FRIENDTALK_TEXT
		s.SenderKey = c.SenderKey
		s.Text = kakaoText
	}
}
