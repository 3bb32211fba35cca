package kakaobiz

import (
	"context"
	"time"
)

// Token states, as Status reports them.
const (
	TokenValid   = "valid"   // a token is held and not expired
	TokenExpired = "expired" // the token held has expired; the next call refreshes it
	TokenNone    = "none"    // no token yet, or the server refused the last one
)

// Status is the client's state as an operator sees it on the relay's
// status page.
type Status struct {
	Token        string    `json:"token"`
	TokenExpires time.Time `json:"token_expires,omitzero"`
	// TokenError is why the last token refresh failed; empty after one
	// succeeded.
	TokenError string `json:"token_error,omitempty"`
	InFlight   int64  `json:"in_flight"` // HTTP requests sent and not answered
	Waiting    int64  `json:"waiting"`   // calls waiting for a connection slot
}

// Status reports the token and the calls in flight.
func (c *Client) Status() Status {
	now := c.clock.Now()
	t := c.tok
	t.mu.Lock()
	auth, exp, lastErr := t.mu.auth, t.mu.expires, t.mu.lastErr
	t.mu.Unlock()
	st := Status{Token: TokenNone, InFlight: c.inflight.Load(), Waiting: c.waiting.Load()}
	switch {
	case auth != "" && now.Before(exp):
		st.Token, st.TokenExpires = TokenValid, exp
	case auth != "":
		st.Token, st.TokenExpires = TokenExpired, exp
	}
	if lastErr != nil {
		st.TokenError = lastErr.Error()
	}
	return st
}

// EnsureToken fetches a token unless a valid one is held: readiness asks
// for it, so that a relay whose credentials Kakao refuses is not ready
// before its first message finds out.
func (c *Client) EnsureToken(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	_, err := c.tok.authorization(ctx, "")
	return err
}
