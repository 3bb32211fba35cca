package kakaobiz

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/msgrelay/relay/kakaobiz/internal/flatjson"
)

// MessageType is the kind of BizMessage; its value is the wire's message_type.
type MessageType string

// Message types.
const (
	AlimTalk        MessageType = "AT" // template-based informational message
	AlimTalkImage   MessageType = "AI" // AlimTalk with the template's image
	FriendTalk      MessageType = "FT" // FriendTalk text (brand message)
	FriendTalkImage MessageType = "FI" // FriendTalk with one image
)

// Request is one message to send.
type Request struct {
	// Serial is the message's unique id (the relay's message id); Kakao
	// refuses a second message with the same serial. Up to 30 chars.
	Serial       string
	Type         MessageType
	SenderKey    string // sender profile key (발신프로필)
	TemplateCode string // AlimTalk template code
	Recipient    string // mobile number, digits only
	SenderNo     string // optional sender number, digits only
	Text         string
	Title        string          // optional
	Buttons      json.RawMessage // optional JSON array, sent as is
	ImageURL     string          // FriendTalkImage only
	Ad           bool            // advertising FriendTalk
}

// Limits of the wire fields.
const (
	maxSerialLen = 30
	maxTextRunes = 1000 // AlimTalk, FriendTalk text
	maxImageText = 400  // FriendTalk image
)

func (r *Request) validate() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrInvalidRequest, what) }
	switch {
	case r.Serial == "" || len(r.Serial) > maxSerialLen:
		return bad("serial must be 1..30 bytes")
	case r.SenderKey == "":
		return bad("sender key required")
	case r.Recipient == "" || !digits(r.Recipient):
		return bad("recipient must be digits")
	case r.SenderNo != "" && !digits(r.SenderNo):
		return bad("sender number must be digits")
	case r.Text == "":
		return bad("text required")
	case utf8.RuneCountInString(r.Text) > maxTextRunes:
		return bad("text over 1000 characters")
	case len(r.Buttons) > 0 && !json.Valid(r.Buttons):
		return bad("buttons are not valid JSON")
	}
	switch r.Type {
	case AlimTalk, AlimTalkImage:
		if r.TemplateCode == "" {
			return bad("AlimTalk needs a template code")
		}
		if r.Ad {
			return bad("AlimTalk cannot be advertising")
		}
	case FriendTalk:
	case FriendTalkImage:
		if r.ImageURL == "" {
			return bad("image FriendTalk needs an image URL")
		}
		if utf8.RuneCountInString(r.Text) > maxImageText {
			return bad("image FriendTalk text over 400 characters")
		}
	default:
		return bad("unknown message type " + string(r.Type))
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendRequest appends the send body of r (see the package doc). It is
// hand-rolled: this is the hot path and encoding/json would reflect.
func appendRequest(b []byte, r *Request) []byte {
	b = append(b, `{"message_type":`...)
	b = appendJSONString(b, string(r.Type))
	b = append(b, `,"sender_key":`...)
	b = appendJSONString(b, r.SenderKey)
	b = append(b, `,"cid":`...)
	b = appendJSONString(b, r.Serial)
	if r.TemplateCode != "" {
		b = append(b, `,"template_code":`...)
		b = appendJSONString(b, r.TemplateCode)
	}
	b = append(b, `,"phone_number":`...)
	b = appendJSONString(b, r.Recipient)
	if r.SenderNo != "" {
		b = append(b, `,"sender_no":`...)
		b = appendJSONString(b, r.SenderNo)
	}
	b = append(b, `,"message":`...)
	b = appendJSONString(b, r.Text)
	if r.Title != "" {
		b = append(b, `,"title":`...)
		b = appendJSONString(b, r.Title)
	}
	if r.Ad {
		b = append(b, `,"ad_flag":"Y"`...)
	} else {
		b = append(b, `,"ad_flag":"N"`...)
	}
	b = append(b, `,"fall_back_yn":false`...)
	if len(r.Buttons) > 0 || r.ImageURL != "" {
		b = append(b, `,"attachment":{`...)
		if len(r.Buttons) > 0 {
			b = append(b, `"button":`...)
			b = append(b, r.Buttons...)
			if r.ImageURL != "" {
				b = append(b, ',')
			}
		}
		if r.ImageURL != "" {
			b = append(b, `"image":{"img_url":`...)
			b = appendJSONString(b, r.ImageURL)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendLookup(b []byte, serial string) []byte {
	b = append(b, `{"cid":`...)
	b = appendJSONString(b, serial)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string (see flatjson.AppendQuote).
func appendJSONString(b []byte, s string) []byte { return flatjson.AppendQuote(b, s) }
