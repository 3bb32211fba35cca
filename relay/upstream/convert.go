package upstream

import (
	"errors"
	"fmt"
	"time"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// ErrUnknownValue is returned for an enum value this version does not know;
// the daemon answers it INVALID_REQUEST.
var ErrUnknownValue = errors.New("upstream: unknown enum value")

// The wire enums share their numbers with the domain model; these checks
// fail to compile if either side is renumbered.
var (
	_ = [1]struct{}{}[int(upstreampb.Product_PRODUCT_AUTO)-int(message.ProductAuto)]
	_ = [1]struct{}{}[int(upstreampb.Product_PRODUCT_PAYMENT_ALIMTALK)-int(message.ProductPaymentAlimTalk)]
	_ = [1]struct{}{}[int(upstreampb.Fallback_FALLBACK_AUTO)-int(message.FallbackAuto)]
	_ = [1]struct{}{}[int(upstreampb.ResultSource_SOURCE_KAKAO)-int(message.SourceKakao)]
)

// ProductFromPB maps a wire product to the domain's, "auto" included.
func ProductFromPB(p upstreampb.Product) (message.Product, error) {
	if p <= upstreampb.Product_PRODUCT_UNSPECIFIED || p > upstreampb.Product_PRODUCT_AUTO {
		return message.ProductUnknown, fmt.Errorf("%w: product %d", ErrUnknownValue, p)
	}
	return message.Product(p), nil
}

// ProductToPB maps a domain product to the wire's.
func ProductToPB(p message.Product) upstreampb.Product {
	if p > message.ProductAuto {
		return upstreampb.Product_PRODUCT_UNSPECIFIED
	}
	return upstreampb.Product(p)
}

// FallbackFromPB maps a wire fallback policy to the domain's.
func FallbackFromPB(f upstreampb.Fallback) (message.Fallback, error) {
	if f < upstreampb.Fallback_FALLBACK_NONE || f > upstreampb.Fallback_FALLBACK_AUTO {
		return message.FallbackNone, fmt.Errorf("%w: fallback %d", ErrUnknownValue, f)
	}
	return message.Fallback(f), nil
}

// FinalStateToPB maps a final domain state; any other state is unspecified.
func FinalStateToPB(s message.State) upstreampb.FinalState {
	switch s {
	case message.StateDelivered:
		return upstreampb.FinalState_DELIVERED
	case message.StateFailed:
		return upstreampb.FinalState_FAILED
	case message.StateExpired:
		return upstreampb.FinalState_EXPIRED
	}
	return upstreampb.FinalState_FINAL_STATE_UNSPECIFIED
}

// RequestFromSubmit is what a Submit asks the door for, its enums checked
// against the schema first: a number the protocol does not define is
// refused (INVALID_REQUEST naming the field) rather than converted, which
// would wrap it onto a defined value (product 257 onto SMS).
func RequestFromSubmit(s *upstreampb.Submit) (door.Request, *door.Refusal) {
	p, err := ProductFromPB(s.Product)
	if err != nil && s.Product != upstreampb.Product_PRODUCT_UNSPECIFIED {
		return door.Request{}, door.UnknownValue("product", int64(s.Product))
	}
	fb, err := FallbackFromPB(s.Fallback)
	if err != nil {
		return door.Request{}, door.UnknownValue("fallback", int64(s.Fallback))
	}
	return door.Request{
		ClientRef: s.ClientRef,
		Product:   p,
		Sender:    s.Sender,
		Recipient: s.Recipient,
		Text:      s.Text,
		Subject:   s.Subject,
		Title:     s.Title,
		Kakao:     kakaoOf(s),
		Fallback:  fb,
		Truncate:  s.Truncate,
		NotBefore: unixMs(s.SendAtMs),
		Expires:   unixMs(s.ExpiresAtMs),
	}, nil
}

// unixMs is a time in Unix milliseconds; 0 (or less) is none.
func unixMs(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// kakaoOf is the Kakao part of a submit.
func kakaoOf(s *upstreampb.Submit) message.Kakao {
	return message.Kakao{SenderKey: s.SenderKey, TemplateCode: s.TemplateCode, Buttons: s.ButtonsJson,
		ImageURL: s.ImageUrl, Ad: s.Ad}
}
