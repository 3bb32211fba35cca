package httpapi

import (
	"encoding/json"
	"time"
)

// MessageRequest is one message as POST /v1/messages takes it. Field names
// follow the upstream protocol's Submit.
type MessageRequest struct {
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	Product        string          `json:"product"` // sms, lms, auto, alimtalk, friendtalk_text, friendtalk_image, payment_alimtalk
	Sender         string          `json:"sender,omitempty"`
	Recipient      string          `json:"recipient"`
	Text           string          `json:"text"`
	Subject        string          `json:"subject,omitempty"` // LMS
	Title          string          `json:"title,omitempty"`   // AlimTalk emphasised title
	SenderKey      string          `json:"sender_key,omitempty"`
	TemplateCode   string          `json:"template_code,omitempty"`
	Buttons        json.RawMessage `json:"buttons,omitempty"` // the JSON array the Kakao API takes
	ImageURL       string          `json:"image_url,omitempty"`
	Ad             bool            `json:"ad,omitempty"`
	Fallback       string          `json:"fallback,omitempty"` // none, sms, lms, auto
	Truncate       bool            `json:"truncate,omitempty"`
	// SendAt schedules the message: not sent before it (RFC 3339; absent
	// or past: at once). ExpiresAt is its own validity, its deadline when
	// earlier than the relay's.
	SendAt    *time.Time `json:"send_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// batchRequest is the batch form of the body.
type batchRequest struct {
	Messages []MessageRequest `json:"messages"`
}

// SubmitResponse is the answer to POST /v1/messages.
type SubmitResponse struct {
	Accepted int      `json:"accepted"` // new or duplicate: durable either way
	Refused  int      `json:"refused"`
	Results  []Result `json:"results"`
}

// Result is one message's fate, in request order.
type Result struct {
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	MessageID      string `json:"message_id,omitempty"`
	Duplicate      bool   `json:"duplicate,omitempty"`
	Error          *Error `json:"error,omitempty"`
}

// Error is a refusal: the door's rule, a reason a person can read, the
// request field, the measured value and the limit where there are any.
type Error struct {
	Rule         string `json:"rule"`
	Reason       string `json:"reason"`
	Field        string `json:"field,omitempty"`
	Value        string `json:"value,omitempty"`
	Limit        string `json:"limit,omitempty"`
	RetryAfterMs int64  `json:"retry_after_ms,omitempty"`
}

// MessageView is the answer to GET /v1/messages/{id}.
type MessageView struct {
	ID             string       `json:"message_id"`
	IdempotencyKey string       `json:"idempotency_key,omitempty"`
	Ingress        string       `json:"ingress"`
	Product        string       `json:"product"`
	State          string       `json:"state"`
	Final          bool         `json:"final"`
	Billed         string       `json:"billed,omitempty"`
	Result         *FinalResult `json:"result,omitempty"`
	AcceptedAt     time.Time    `json:"accepted_at"`
	SendAt         *time.Time   `json:"send_at,omitempty"`  // when it was scheduled for, if it was
	Deadline       *time.Time   `json:"deadline,omitempty"` // when it is final at the latest
	FinalAt        *time.Time   `json:"final_at,omitempty"`
	Legs           []Leg        `json:"legs"`
}

// Leg is one way the relay sent a message: the Kakao leg of a Kakao
// message, then its SMS/LMS fallback if it had one; an SMS/LMS has one.
type Leg struct {
	Channel  string     `json:"channel"`           // "kakao" or "smpp"
	Product  string     `json:"product"`           // what this leg sends
	Carrier  string     `json:"carrier,omitempty"` // the SMPP carrier
	State    string     `json:"state"`             // "pending", "sending", "sent", "delivered", "failed", "expired" or "fell_back"
	Attempts uint32     `json:"attempts,omitempty"`
	SentAt   *time.Time `json:"sent_at,omitempty"`
}

// FinalResult is a final result as the channel that decided it gave it.
type FinalResult struct {
	Source string `json:"source"`
	Code   string `json:"code"`
	Reason string `json:"reason,omitempty"`
}

// errorBody is the answer to a request that is refused as a whole.
type errorBody struct {
	Error Error `json:"error"`
}
