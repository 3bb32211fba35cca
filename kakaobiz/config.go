package kakaobiz

import (
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// Config is everything a Client needs. The zero value of a field means its
// default; call WithDefaults, then Validate.
type Config struct {
	// BaseURL is the API's scheme and host, e.g. "https://bizmsg-web.kakaoenterprise.com".
	BaseURL      string
	ClientID     string
	ClientSecret string

	// Name labels this client's metrics (relay_kakao_*{client="name"}).
	Name string

	// MaxConns bounds the TCP connections to the API; it also bounds the
	// calls in flight: callers beyond it queue (until their context ends)
	// instead of failing.
	MaxConns int
	// RequestTimeout bounds every HTTP call, token calls included.
	RequestTimeout time.Duration
	// RefreshBefore is how long before its expiry a token is replaced.
	RefreshBefore time.Duration
	// MaxAttempts is how many times Send tries one message (same serial)
	// before returning ErrRetriesExhausted.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry backoff: base·2^(n-1), capped.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxRetryAfter caps a server's Retry-After.
	MaxRetryAfter time.Duration
	// MaxResponseBodySize bounds an answer's body; larger is ErrBodyTooLarge.
	MaxResponseBodySize int

	Logger *slog.Logger
	Clock  Clock
}

// Defaults.
const (
	DefaultMaxConns            = 64
	DefaultRequestTimeout      = 5 * time.Second
	DefaultRefreshBefore       = time.Minute
	DefaultMaxAttempts         = 4
	DefaultBackoffBase         = 200 * time.Millisecond
	DefaultBackoffMax          = 10 * time.Second
	DefaultMaxRetryAfter       = time.Minute
	DefaultMaxResponseBodySize = 64 << 10
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Name == "" {
		c.Name = "kakao"
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.RefreshBefore == 0 {
		c.RefreshBefore = DefaultRefreshBefore
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.MaxResponseBodySize == 0 {
		c.MaxResponseBodySize = DefaultMaxResponseBodySize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = WallClock{}
	}
	return c
}

// Validate reports the first thing wrong with c (after WithDefaults).
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%w: BaseURL %q must be http(s)://host[:port]", ErrInvalidConfig, c.BaseURL)
	case u.Path != "" && u.Path != "/":
		return fmt.Errorf("%w: BaseURL %q must not have a path", ErrInvalidConfig, c.BaseURL)
	case c.ClientID == "" || c.ClientSecret == "":
		return fmt.Errorf("%w: ClientID and ClientSecret are required", ErrInvalidConfig)
	case c.MaxConns < 1 || c.MaxConns > 4096:
		return fmt.Errorf("%w: MaxConns %d not in [1, 4096]", ErrInvalidConfig, c.MaxConns)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("%w: RequestTimeout must be positive", ErrInvalidConfig)
	case c.RefreshBefore < 0:
		return fmt.Errorf("%w: RefreshBefore must not be negative", ErrInvalidConfig)
	case c.MaxAttempts < 1:
		return fmt.Errorf("%w: MaxAttempts must be at least 1", ErrInvalidConfig)
	case c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase:
		return fmt.Errorf("%w: need 0 < BackoffBase <= BackoffMax", ErrInvalidConfig)
	case c.MaxRetryAfter <= 0:
		return fmt.Errorf("%w: MaxRetryAfter must be positive", ErrInvalidConfig)
	case c.MaxResponseBodySize < 512:
		return fmt.Errorf("%w: MaxResponseBodySize %d below 512", ErrInvalidConfig, c.MaxResponseBodySize)
	case c.Logger == nil || c.Clock == nil:
		return fmt.Errorf("%w: Logger and Clock are required", ErrInvalidConfig)
	}
	return nil
}
