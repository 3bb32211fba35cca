package door

import (
	"errors"

	"github.com/msgrelay/relay/relay/message"
)

// checkStorable refuses a request with a field longer than the store keeps
// (message.MaxIndexed for what it indexes, message.MaxField for the rest):
// TOO_LONG, permanent, whatever the door it came in by. The product's own
// limits come later and are far tighter for what they cover; this holds
// for every field, those no product limit covers included.
func checkStorable(req *Request) *Refusal {
	for _, f := range [...]struct {
		name string
		v    string
		max  int
	}{
		{"client_ref", req.ClientRef, message.MaxIndexed},
		{"recipient", req.Recipient, message.MaxIndexed},
		{"sender", req.Sender, message.MaxField},
		{"text", req.Text, message.MaxField},
		{"subject", req.Subject, message.MaxField},
		{"title", req.Title, message.MaxField},
		{"sender_key", req.Kakao.SenderKey, message.MaxField},
		{"template_code", req.Kakao.TemplateCode, message.MaxField},
		{"buttons", req.Kakao.Buttons, message.MaxField},
		{"image_url", req.Kakao.ImageURL, message.MaxField},
	} {
		if len(f.v) > f.max {
			return storeLimit(f.name, len(f.v), f.max)
		}
	}
	return nil
}

func storeLimit(field string, n, limit int) *Refusal {
	return refuse(RuleTooLong, itoa(n), itoa(limit), "%s is %d bytes, the longest the store keeps is %d", field, n, limit).
		about(field).measured(n, limit)
}

// StoreRefusal is the refusal for a message the store refused for good
// (store.ErrInvalid): TOO_LONG naming the field when err holds a
// *message.FieldError, else INVALID_REQUEST with err's text. The door
// checks the same limits first, so this is a second line, for any path
// that reached the store without them.
func StoreRefusal(err error) *Refusal {
	var fe *message.FieldError
	if errors.As(err, &fe) {
		return storeLimit(fe.Field, fe.Len, fe.Max)
	}
	return refuse(RuleInvalidRequest, "", "", "%v", err)
}

// UnknownValue refuses an enum number outside a protocol's schema
// (INVALID_REQUEST naming the field), for a door that reads enums as
// numbers: converting one to the domain's narrower type would wrap it onto
// a defined value (product 257 onto SMS).
func UnknownValue(field string, v int64) *Refusal {
	return refuse(RuleInvalidRequest, itoa(int(v)), "", "unknown %s %d", field, v).about(field)
}
