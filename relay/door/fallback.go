package door

import (
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
)

// FallbackLeg is the one rule for the SMS/LMS leg a Kakao message falls
// back to: its product and the exact text it carries, cut included, or the
// rule that leaves the message without one. The door applies it at
// acceptance, with the customer, and stores the product it decides (auto
// resolved to SMS or LMS); the dispatcher applies it again to that stored
// decision, with c nil, when Kakao fails, so the leg sent is the leg the
// door checked.
//
//   - sms: the text if it fits the SMS limit, else cut to it when truncate
//     allows, else TOO_LONG.
//   - lms: the same against the LMS limit.
//   - auto: SMS if the text fits and c may send SMS; otherwise LMS if c may
//     send it; otherwise SMS cut to its limit when truncate allows.
//
// A nil c may send every product. For none the product is ProductUnknown.
func FallbackLeg(cfg Config, c *customer.Customer, f message.Fallback, text string, truncate bool) (message.Product, string, *Refusal) {
	allows := func(p message.Product) bool { return c == nil || c.Allows(p) }
	n, err := euckrLen(text)
	if err != nil && f != message.FallbackNone {
		return 0, "", unencodable("fallback", "fallback text", text, err)
	}
	var p message.Product
	switch f {
	case message.FallbackNone:
		return message.ProductUnknown, "", nil
	case message.FallbackSMS, message.FallbackLMS:
		p = f.Product()
	case message.FallbackAuto:
		switch {
		case n <= cfg.SMSBytes && allows(message.ProductSMS):
			p = message.ProductSMS
		case allows(message.ProductLMS):
			p = message.ProductLMS
		case allows(message.ProductSMS) && truncate:
			p = message.ProductSMS
		case allows(message.ProductSMS):
			return 0, "", refuse(RuleProductNotAllowed, itoa(n), itoa(cfg.SMSBytes),
				"fallback auto: text is %d EUC-KR bytes, over the SMS limit %d, and customer %s may not send LMS", n, cfg.SMSBytes, c.ID).
				about("fallback").measured(n, cfg.SMSBytes)
		default:
			return 0, "", fallbackNotAllowed(c, message.ProductAuto)
		}
	default:
		return 0, "", refuse(RuleInvalidRequest, f.String(), "", "unknown fallback %s", f).about("fallback")
	}
	if !allows(p) {
		return 0, "", fallbackNotAllowed(c, p)
	}
	limit, what := cfg.SMSBytes, "fallback SMS text"
	if p == message.ProductLMS {
		limit, what = cfg.LMSBytes, "fallback LMS text"
	}
	switch {
	case n <= limit:
		return p, text, nil
	case truncate:
		return p, cutEUCKR(text, limit), nil
	}
	r := tooLong("fallback", what, n, limit, "EUC-KR bytes")
	if f == message.FallbackSMS {
		r.Reason += " (choose fallback auto or lms, or allow truncation)"
	}
	return 0, "", r
}

func fallbackNotAllowed(c *customer.Customer, p message.Product) *Refusal {
	r := notAllowed(c, p)
	r.Reason, r.Field = "fallback: "+r.Reason, "fallback"
	return r
}

// cutEUCKR cuts text to at most limit EUC-KR bytes, never inside a
// character. text must be encodable in EUC-KR.
func cutEUCKR(text string, limit int) string {
	n := 0
	for i, r := range text {
		w := 2
		if r < 0x80 {
			w = 1
		}
		if n+w > limit {
			return text[:i]
		}
		n += w
	}
	return text
}
