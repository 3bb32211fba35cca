package message

import "fmt"

// Product is what a customer buys and what a message is billed as.
// The numeric values are part of the store's on-disk format and of the
// upstream protocol: never renumber them, only append.
type Product uint8

const (
	ProductUnknown         Product = 0
	ProductSMS             Product = 1 // SMPP, 80 EUC-KR bytes by default (Art. 2-1)
	ProductLMS             Product = 2 // SMPP, 2,000 EUC-KR bytes with a subject (Art. 2-1)
	ProductAlimTalk        Product = 3 // Kakao, template based, 1,000 characters (Art. 2-4)
	ProductFriendTalkText  Product = 4 // Kakao, friends only, 1,000 characters (Art. 2-5)
	ProductFriendTalkImage Product = 5 // Kakao, friends only, 400 characters + 1 image
	ProductPaymentAlimTalk Product = 6 // Kakao, generated from payment events
	// ProductAuto is accepted only at the door: it becomes SMS or LMS by
	// length before anything is stored.
	ProductAuto Product = 7
)

// Products lists the billable products in statement order.
var Products = []Product{
	ProductSMS, ProductLMS, ProductAlimTalk, ProductFriendTalkText,
	ProductFriendTalkImage, ProductPaymentAlimTalk,
}

var productNames = [...]string{
	ProductUnknown:         "unknown",
	ProductSMS:             "sms",
	ProductLMS:             "lms",
	ProductAlimTalk:        "alimtalk",
	ProductFriendTalkText:  "friendtalk_text",
	ProductFriendTalkImage: "friendtalk_image",
	ProductPaymentAlimTalk: "payment_alimtalk",
	ProductAuto:            "auto",
}

func (p Product) String() string {
	if int(p) < len(productNames) {
		return productNames[p]
	}
	return fmt.Sprintf("product(%d)", uint8(p))
}

// ParseProduct is the inverse of [Product.String].
func ParseProduct(s string) (Product, error) {
	for i, n := range productNames {
		if n == s && i != 0 {
			return Product(i), nil
		}
	}
	return ProductUnknown, fmt.Errorf("message: unknown product %q", s)
}

// Kakao reports whether the product is sent through the Kakao BizMessage API.
func (p Product) Kakao() bool {
	switch p {
	case ProductAlimTalk, ProductFriendTalkText, ProductFriendTalkImage, ProductPaymentAlimTalk:
		return true
	}
	return false
}

// SMPP reports whether the product is sent to a carrier over SMPP.
func (p Product) SMPP() bool { return p == ProductSMS || p == ProductLMS }

// Fallback is what to do when a Kakao message cannot be delivered.
// Part of the on-disk format: append only.
type Fallback uint8

const (
	FallbackNone Fallback = 0 // the Kakao failure is final
	FallbackSMS  Fallback = 1 // send as SMS; fails if the text does not fit
	FallbackLMS  Fallback = 2 // send as LMS
	FallbackAuto Fallback = 3 // SMS if it fits, otherwise LMS
)

var fallbackNames = [...]string{"none", "sms", "lms", "auto"}

func (f Fallback) String() string {
	if int(f) < len(fallbackNames) {
		return fallbackNames[f]
	}
	return fmt.Sprintf("fallback(%d)", uint8(f))
}

// Product is the product of a decided fallback leg: SMS or LMS, or
// ProductUnknown for none (and for auto, which the door resolves before a
// message is stored).
func (f Fallback) Product() Product {
	switch f {
	case FallbackSMS:
		return ProductSMS
	case FallbackLMS:
		return ProductLMS
	}
	return ProductUnknown
}

// ParseFallback is the inverse of [Fallback.String]; "" means none.
func ParseFallback(s string) (Fallback, error) {
	if s == "" {
		return FallbackNone, nil
	}
	for i, n := range fallbackNames {
		if n == s {
			return Fallback(i), nil
		}
	}
	return FallbackNone, fmt.Errorf("message: unknown fallback policy %q", s)
}
