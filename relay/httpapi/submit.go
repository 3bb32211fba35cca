package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
)

// body is either one message or {"messages": [...]}: one decode reads
// both, and a body with both forms is refused.
type body struct {
	Messages *[]MessageRequest `json:"messages"`
	MessageRequest
}

// decodeBody reads a request body: one message (single true) or a batch.
func decodeBody(b []byte, maxBatch int) (reqs []MessageRequest, single bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var v body
	if err := dec.Decode(&v); err != nil {
		return nil, false, fmt.Errorf("body is not a message or a batch: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false, errors.New("body has more than one JSON value")
	}
	if v.Messages == nil {
		return []MessageRequest{v.MessageRequest}, true, nil
	}
	if !reflect.ValueOf(v.MessageRequest).IsZero() {
		return nil, false, errors.New(`a batch carries its fields in "messages" only`)
	}
	n := len(*v.Messages)
	if n == 0 || n > maxBatch {
		return nil, false, fmt.Errorf("a batch has 1 to %d messages, this one %d", maxBatch, n)
	}
	return *v.Messages, false, nil
}

// submission turns one item into what the door takes, or a refusal for
// what the door never sees (the idempotency key, names it cannot parse).
func submission(m *MessageRequest) (intake.Submit, *door.Refusal) {
	if m.IdempotencyKey == "" {
		return intake.Submit{}, &door.Refusal{Rule: door.RuleMissingField, Field: "idempotency_key",
			Reason: "every message needs an idempotency key (the Idempotency-Key header, or idempotency_key in a batch)"}
	}
	if len(m.IdempotencyKey) > maxKey {
		return intake.Submit{}, &door.Refusal{Rule: door.RuleTooLong, Field: "idempotency_key",
			Reason: fmt.Sprintf("idempotency key is %d bytes, limit %d", len(m.IdempotencyKey), maxKey),
			Value:  strconv.Itoa(len(m.IdempotencyKey)), Limit: strconv.Itoa(maxKey),
			Measured: int64(len(m.IdempotencyKey)), Max: maxKey}
	}
	p, err := message.ParseProduct(m.Product)
	if err != nil {
		return intake.Submit{}, &door.Refusal{Rule: door.RuleInvalidRequest, Field: "product", Value: m.Product,
			Reason: fmt.Sprintf("unknown product %q", m.Product)}
	}
	fb, err := message.ParseFallback(m.Fallback)
	if err != nil {
		return intake.Submit{}, &door.Refusal{Rule: door.RuleInvalidRequest, Field: "fallback", Value: m.Fallback,
			Reason: fmt.Sprintf("unknown fallback %q", m.Fallback)}
	}
	buttons := ""
	if len(m.Buttons) > 0 && string(m.Buttons) != "null" {
		if m.Buttons[0] != '[' {
			return intake.Submit{}, &door.Refusal{Rule: door.RuleInvalidRequest, Field: "buttons",
				Reason: "buttons must be a JSON array"}
		}
		buttons = string(m.Buttons)
	}
	return intake.Submit{ClientRef: m.IdempotencyKey, Request: door.Request{
		Product: p, Sender: m.Sender, Recipient: m.Recipient, Text: m.Text,
		Subject: m.Subject, Title: m.Title,
		Kakao: message.Kakao{SenderKey: m.SenderKey, TemplateCode: m.TemplateCode,
			Buttons: buttons, ImageURL: m.ImageURL, Ad: m.Ad},
		Fallback: fb, Truncate: m.Truncate, NotBefore: timeOrZero(m.SendAt), Expires: timeOrZero(m.ExpiresAt),
	}}, nil
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// maxKey bounds an idempotency key, as the store bounds a client reference.
const maxKey = 200

func (s *Server) postMessages(w http.ResponseWriter, r *http.Request, customer string) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, Error{Rule: door.RuleTooLong, Field: "body",
				Reason: fmt.Sprintf("request body over %d bytes", tooBig.Limit), Limit: strconv.FormatInt(tooBig.Limit, 10)})
			return
		}
		writeError(w, http.StatusBadRequest, Error{Rule: door.RuleInvalidRequest, Reason: "reading the body: " + err.Error()})
		return
	}
	items, single, err := decodeBody(b, s.cfg.MaxBatch)
	if err != nil {
		writeError(w, http.StatusBadRequest, Error{Rule: door.RuleInvalidRequest, Field: "body", Reason: err.Error()})
		return
	}
	if hk := r.Header.Get("Idempotency-Key"); hk != "" {
		if !single {
			writeError(w, http.StatusBadRequest, Error{Rule: door.RuleInvalidRequest, Field: "Idempotency-Key",
				Reason: "the Idempotency-Key header is for a single message; a batch carries idempotency_key on each message"})
			return
		}
		if items[0].IdempotencyKey != "" && items[0].IdempotencyKey != hk {
			writeError(w, http.StatusBadRequest, Error{Rule: door.RuleInvalidRequest, Field: "Idempotency-Key",
				Reason: "the Idempotency-Key header and idempotency_key differ"})
			return
		}
		items[0].IdempotencyKey = hk
	}
	out := make([]intake.Result, len(items))
	subs := make([]intake.Submit, 0, len(items))
	slot := make([]int, 0, len(items))
	for i := range items {
		sub, ref := submission(&items[i])
		if ref != nil {
			out[i].Refusal = ref
			continue
		}
		subs = append(subs, sub)
		slot = append(slot, i)
	}
	if len(subs) > 0 {
		got := make([]intake.Result, len(subs))
		start := time.Now()
		s.opts.Acceptor.Accept(r.Context(), customer, message.IngressHTTP, subs, got)
		s.acceptSec.UpdateDuration(start)
		for j := range got {
			out[slot[j]] = got[j]
		}
	}
	resp := SubmitResponse{Results: make([]Result, len(items))}
	for i := range out {
		res := &resp.Results[i]
		res.IdempotencyKey = items[i].IdempotencyKey
		if res.Error = errorOf(&out[i]); res.Error != nil {
			resp.Refused++
			continue
		}
		res.MessageID, res.Duplicate = out[i].ID.String(), out[i].Duplicate
		resp.Accepted++
	}
	s.messages.Add(resp.Accepted)
	s.refused.Add(resp.Refused)
	code := http.StatusOK
	if single && resp.Results[0].Error != nil {
		e := resp.Results[0].Error
		code = Status(e.Rule)
		if e.RetryAfterMs > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt((e.RetryAfterMs+999)/1000, 10))
		}
	}
	writeJSON(w, code, &resp)
}

// errorOf is the refusal of a result, or nil for an accepted message.
func errorOf(r *intake.Result) *Error {
	switch {
	case r.Refusal != nil:
		f := r.Refusal
		return &Error{Rule: f.Rule, Reason: f.Reason, Field: f.Field, Value: f.Value, Limit: f.Limit,
			RetryAfterMs: f.RetryAfter.Milliseconds()}
	case errors.Is(r.Err, intake.ErrShuttingDown):
		return &Error{Rule: door.RuleShuttingDown, Reason: "the relay is shutting down; send it again",
			RetryAfterMs: max(r.RetryAfter.Milliseconds(), 1000)}
	case r.Err != nil || r.ID == 0:
		// Not durable, so not accepted: the client sends it again.
		reason := "not stored; send it again"
		if r.Err != nil {
			reason = r.Err.Error()
		}
		return &Error{Rule: door.RuleStoreUnavailable, Reason: reason, RetryAfterMs: max(r.RetryAfter.Milliseconds(), 1000)}
	}
	return nil
}

// Status is the HTTP status of a single message refused under rule.
func Status(rule string) int {
	switch rule {
	case door.RuleUnauthenticated:
		return http.StatusUnauthorized
	case door.RuleCustomerSuspended, door.RuleProductNotAllowed, door.RuleSenderNotRegistered:
		return http.StatusForbidden
	case door.RuleThrottled:
		return http.StatusTooManyRequests
	case door.RuleStoreUnavailable, door.RuleShuttingDown:
		return http.StatusServiceUnavailable
	case door.RuleInvalidRequest:
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":{"rule":"INTERNAL","reason":"cannot encode the answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n')) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, code int, e Error) {
	writeJSON(w, code, errorBody{Error: e})
}
