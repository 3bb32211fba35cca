package kakaobiz

import (
	"encoding/json"
	"fmt"
)

// answer is the body of a send or lookup answer (see the package doc).
type answer struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	UID        string `json:"uid"`
	CID        string `json:"cid"`
	ReceivedAt string `json:"received_at"`
}

// Longest code and message kept from an answer.
const (
	maxCodeLen    = 16
	maxMessageLen = 512
)

// parseAnswer decodes a send or lookup answer. body belongs to the caller's
// response buffer; every string in the result is a copy.
func parseAnswer(body []byte) (answer, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return answer{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if a.Code == "" || len(a.Code) > maxCodeLen {
		return answer{}, fmt.Errorf("%w: missing or oversized code", ErrBadResponse)
	}
	if len(a.Message) > maxMessageLen {
		a.Message = a.Message[:maxMessageLen]
	}
	return a, nil
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// Bounds on a token answer: a token lives at least 1 s and at most 30 days.
const maxTokenLife = 30 * 24 * 3600

func parseToken(body []byte) (tokenAnswer, error) {
	var t tokenAnswer
	if err := json.Unmarshal(body, &t); err != nil {
		return tokenAnswer{}, fmt.Errorf("%w: token: %v", ErrBadResponse, err)
	}
	if t.AccessToken == "" || len(t.AccessToken) > 4096 {
		return tokenAnswer{}, fmt.Errorf("%w: token: missing or oversized access_token", ErrBadResponse)
	}
	if t.ExpiresIn < 1 || t.ExpiresIn > maxTokenLife {
		return tokenAnswer{}, fmt.Errorf("%w: token: expires_in %d out of range", ErrBadResponse, t.ExpiresIn)
	}
	return t, nil
}
