package kakaobiz

import "errors"

// Sentinel errors; classify with errors.Is.
var (
	// ErrInvalidConfig is returned by Config.Validate.
	ErrInvalidConfig = errors.New("kakaobiz: invalid config")
	// ErrInvalidRequest means the request was refused before it was sent.
	ErrInvalidRequest = errors.New("kakaobiz: invalid request")
	// ErrBadResponse means an answer could not be parsed.
	ErrBadResponse = errors.New("kakaobiz: malformed response")
	// ErrBodyTooLarge means an answer exceeded MaxResponseBodySize.
	ErrBodyTooLarge = errors.New("kakaobiz: response body too large")
	// ErrTimeout means a call did not get its answer in RequestTimeout.
	ErrTimeout = errors.New("kakaobiz: request timed out")
	// ErrTransport is a connection-level failure (refused, reset, closed).
	ErrTransport = errors.New("kakaobiz: transport error")
	// ErrToken means no access token could be obtained.
	ErrToken = errors.New("kakaobiz: token request failed")
	// ErrCredentials means the token endpoint refused the client id/secret.
	ErrCredentials = errors.New("kakaobiz: client credentials rejected")
	// ErrNotFound is returned by Lookup for a serial Kakao does not know.
	ErrNotFound = errors.New("kakaobiz: serial not found")
	// ErrRetriesExhausted wraps the last error when Send gave up retrying;
	// the message is still pending and may be sent again with the same serial.
	ErrRetriesExhausted = errors.New("kakaobiz: retries exhausted")
	// ErrClosed is returned by calls on a closed client.
	ErrClosed = errors.New("kakaobiz: client closed")
)
