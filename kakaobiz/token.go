package kakaobiz

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// tokenSource holds the one access token shared by every call and refreshes
// it at most once at a time (single flight).
type tokenSource struct {
	c     *Client
	basic string // "Basic base64(id:secret)"

	mu struct {
		sync.Mutex
		auth       string    // "Bearer <token>", empty when none
		expires    time.Time // by the client's clock
		refreshing chan struct{}
		lastErr    error // of the last refresh; nil after one succeeded
	}
}

func newTokenSource(c *Client) *tokenSource {
	t := &tokenSource{c: c}
	t.basic = "Basic " + base64.StdEncoding.EncodeToString([]byte(c.cfg.ClientID+":"+c.cfg.ClientSecret))
	return t
}

// authorization returns the Authorization header value of a usable token.
// stale, when not empty, is a header value the server refused (401): it is
// not returned again, and the first caller to see it refreshes.
//
// A token within RefreshBefore of its expiry is refreshed by the first
// caller that sees it; the others keep using it while it is still valid,
// and only wait for the refresh when there is no valid token at all.
func (t *tokenSource) authorization(ctx context.Context, stale string) (string, error) {
	for {
		now := t.c.clock.Now()
		t.mu.Lock()
		auth, exp := t.mu.auth, t.mu.expires
		valid := auth != "" && auth != stale && now.Before(exp)
		fresh := valid && now.Before(exp.Add(-t.c.cfg.RefreshBefore))
		if fresh || (valid && t.mu.refreshing != nil) {
			t.mu.Unlock()
			return auth, nil
		}
		if ch := t.mu.refreshing; ch != nil {
			t.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		ch := make(chan struct{})
		t.mu.refreshing = ch
		t.mu.Unlock()

		newAuth, newExp, err := t.fetch(ctx)

		t.mu.Lock()
		t.mu.lastErr = err
		if err == nil {
			t.mu.auth, t.mu.expires = newAuth, newExp
		} else if auth == stale && stale != "" {
			t.mu.auth = "" // refused: never hand it out again
		}
		t.mu.refreshing = nil
		close(ch)
		t.mu.Unlock()
		if err != nil {
			if valid {
				// An early refresh failed; the old token still works.
				t.c.log.Warn("kakao token refresh failed; keeping current token", "err", err)
				return auth, nil
			}
			return "", err
		}
		return newAuth, nil
	}
}

func (t *tokenSource) fetch(ctx context.Context) (auth string, expires time.Time, err error) {
	t.c.m.tokenRefreshes.Inc()
	bufp := getBuf()
	defer putBuf(bufp)
	status, _, body, err := t.c.do(ctx, pathToken, contentForm, t.basic, []byte("grant_type=client_credentials"), *bufp)
	*bufp = body
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if status == 400 || status == 401 || status == 403 {
		t.c.m.tokenFailures.Inc()
		return "", time.Time{}, fmt.Errorf("%w: %w: http %d", ErrToken, ErrCredentials, status)
	}
	if status != 200 {
		t.c.m.tokenFailures.Inc()
		return "", time.Time{}, fmt.Errorf("%w: http %d", ErrToken, status)
	}
	ta, err := parseToken(body)
	if err != nil {
		t.c.m.tokenFailures.Inc()
		return "", time.Time{}, fmt.Errorf("%w: %w", ErrToken, err)
	}
	exp := t.c.clock.Now().Add(time.Duration(ta.ExpiresIn) * time.Second)
	t.c.log.Info("kakao token refreshed", "expires_in", ta.ExpiresIn)
	return "Bearer " + ta.AccessToken, exp, nil
}
