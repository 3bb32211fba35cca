package kakaobiz

import (
	"encoding/json"
	"fmt"

	"github.com/msgrelay/relay/kakaobiz/internal/flatjson"
)

// answer is the body of a send or lookup answer (see the package doc).
type answer struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	UID     string `json:"uid"`
	CID     string `json:"cid"`
}

// Longest code and message kept from an answer.
const (
	maxCodeLen    = 16
	maxMessageLen = 512
)

// parseAnswer decodes a send or lookup answer. body belongs to the caller's
// response buffer; every string in the result is a copy. Members of other
// names are skipped; a known member that is not a string (or null) makes
// the answer malformed, as encoding/json would.
func parseAnswer(body []byte) (answer, error) {
	var a answer
	var badKey string
	err := flatjson.Scan(body, func(k []byte, v flatjson.Value) bool {
		var dst *string
		switch string(k) {
		case "code":
			dst = &a.Code
		case "message":
			dst = &a.Message
		case "uid":
			dst = &a.UID
		default:
			return true
		}
		switch v.Kind {
		case flatjson.String:
			if s, ok := knownCodes[string(v.Raw)]; ok && dst == &a.Code {
				*dst = s // no allocation for the common codes
			} else {
				*dst = v.Str()
			}
		case flatjson.Null:
		default:
			badKey = string(k)
			return false
		}
		return true
	})
	switch {
	case err != nil:
		return answer{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	case badKey != "":
		return answer{}, fmt.Errorf("%w: %q is not a string", ErrBadResponse, badKey)
	case a.Code == "" || len(a.Code) > maxCodeLen:
		return answer{}, fmt.Errorf("%w: missing or oversized code", ErrBadResponse)
	}
	if len(a.Message) > maxMessageLen {
		a.Message = a.Message[:maxMessageLen]
	}
	return a, nil
}

// knownCodes interns the codes seen on every call.
var knownCodes = map[string]string{"1000": "1000", "3005": "3005", "3018": "3018", "3019": "3019", "3020": "3020", "3021": "3021"}

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
