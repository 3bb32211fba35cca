package message

import (
	"errors"
	"strconv"
)

// The longest strings the store keeps. Every door checks a message against
// them before it is stored (door.Check), and the store refuses a message
// over them with a permanent error, never one that asks for a retry.
const (
	// MaxIndexed bounds the strings the store also keeps in index keys,
	// behind a one-byte length: customer, client reference, recipient,
	// carrier and carrier message id. Part of the store's on-disk format.
	MaxIndexed = 255
	// MaxField bounds every other string of a stored message (text,
	// subject, buttons, …); a record with a longer one would read back as
	// corrupt. Part of the store's on-disk format.
	MaxField = 1 << 20
)

// ErrTooLong is what a FieldError wraps.
var ErrTooLong = errors.New("message: field too long to store")

// FieldError names a field longer than the store keeps: a permanent
// refusal of the message as it is.
type FieldError struct {
	Field string // as the upstream protocol names it, e.g. "client_ref"
	Len   int    // bytes
	Max   int    // bytes
}

func (e *FieldError) Error() string {
	return "message: " + e.Field + " is " + strconv.Itoa(e.Len) + " bytes, longer than the " +
		strconv.Itoa(e.Max) + " the store keeps"
}

// Unwrap returns ErrTooLong.
func (e *FieldError) Unwrap() error { return ErrTooLong }

// CheckLengths returns a *FieldError for the first string of m longer than
// the store keeps, or nil.
func CheckLengths(m *Message) error {
	for _, f := range [...]struct {
		name string
		v    string
		max  int
	}{
		{"customer", m.Customer, MaxIndexed},
		{"client_ref", m.ClientRef, MaxIndexed},
		{"recipient", m.Recipient, MaxIndexed},
		{"carrier", m.Carrier, MaxIndexed},
		{"carrier_msg_id", m.CarrierMsgID, MaxIndexed},
		{"sender", m.Sender, MaxField},
		{"text", m.Text, MaxField},
		{"subject", m.Subject, MaxField},
		{"sender_key", m.Kakao.SenderKey, MaxField},
		{"template_code", m.Kakao.TemplateCode, MaxField},
		{"buttons", m.Kakao.Buttons, MaxField},
		{"image_url", m.Kakao.ImageURL, MaxField},
		{"result_code", m.Result.Code, MaxField},
		{"result_reason", m.Result.Reason, MaxField},
	} {
		if len(f.v) > f.max {
			return &FieldError{Field: f.name, Len: len(f.v), Max: f.max}
		}
	}
	return nil
}
