package payment

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/msgrelay/relay/relay/message"
)

// FallbackSender is the company's representative number (1588-4954) every
// payment AlimTalk falls back from unless [Options].FallbackSender names
// another; the customer does not choose it.
const FallbackSender = "15884954"

// ClientRef is the client reference of the message telling recipient about
// event eventID as audience a: "pay-" and the first 16 bytes of
// SHA-256(eventID 0x00 audience 0x00 recipient) in hex, 36 characters in
// all. It depends on nothing else, so a repeated event maps to the same
// references and the store refuses it as a duplicate.
func ClientRef(eventID string, a Audience, recipient string) string {
	var buf [128]byte
	b := append(buf[:0], eventID...)
	b = append(b, 0)
	b = append(b, a...)
	b = append(b, 0)
	b = append(b, recipient...)
	sum := sha256.Sum256(b)
	var out [4 + 32]byte
	copy(out[:], "pay-")
	hex.Encode(out[4:], sum[:16])
	return string(out[:])
}

// Expand turns one event into the payment AlimTalk messages sub asks for,
// merchant messages first, in recipient order. The messages are ready for
// the store's Accept: product payment AlimTalk, sent from sub's sender
// profile, falling back to SMS/LMS (auto) from FallbackSender. An event
// that asks for nothing (not subscribed, or an approval of a virtual
// account) gives no messages and no error.
func Expand(ev Event, sub *Subscription) ([]message.Message, error) {
	return expand(ev, sub, FallbackSender)
}

// expand is Expand with the fallback sender number.
func expand(ev Event, sub *Subscription, fallback string) ([]message.Message, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	if ev.MID != sub.MID {
		return nil, fmt.Errorf("%w: event %s is for MID %q, subscription for %q", ErrEvent, ev.ID, ev.MID, sub.MID)
	}
	out := make([]message.Message, 0, len(sub.Merchant.Recipients)+1)
	if n := ev.notice(sub, AudienceMerchant); n != "" && sub.Subscribed(AudienceMerchant, n) {
		t := sub.Template(AudienceMerchant, n)
		for _, r := range sub.Merchant.Recipients {
			out = append(out, build(&ev, sub, t, AudienceMerchant, normalizeNumber(r), fallback))
		}
	}
	if n := ev.notice(sub, AudienceBuyer); n != "" && sub.Subscribed(AudienceBuyer, n) {
		buyer := normalizeNumber(ev.BuyerNumber)
		if !validMobile(buyer) {
			return nil, fmt.Errorf("%w: event %s: buyer number %q is not a Korean mobile number", ErrEvent, ev.ID, ev.BuyerNumber)
		}
		out = append(out, build(&ev, sub, sub.Template(AudienceBuyer, n), AudienceBuyer, buyer, fallback))
	}
	return out, nil
}

func build(ev *Event, sub *Subscription, t *Template, a Audience, recipient, fallback string) message.Message {
	return message.Message{
		Customer:  sub.Customer,
		ClientRef: ClientRef(ev.ID, a, recipient),
		Product:   message.ProductPaymentAlimTalk,
		Sender:    fallback,
		Recipient: recipient,
		Text:      render(t.Text, ev),
		Kakao:     message.Kakao{SenderKey: sub.SenderKey, TemplateCode: t.Code},
		Fallback:  message.FallbackAuto,
	}
}
