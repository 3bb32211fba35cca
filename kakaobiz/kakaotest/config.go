package kakaotest

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Outcomes other than a Kakao code ("1000", "3005", "3018", "4001", …)
// that a send can be given.
const (
	OutcomeHTTP500 = "http500" // 500 with Retry-After; not accepted
	OutcomeHTTP503 = "http503" // 503 with Retry-After; not accepted
	OutcomeHTTP429 = "http429" // 429 with Retry-After; not accepted
	OutcomeTimeout = "timeout" // accepted (1000), answer held for Hold
	OutcomeReset   = "reset"   // accepted (1000), connection reset unanswered
	OutcomeGarbage = "garbage" // accepted (1000), answer is not JSON
	OutcomeHuge    = "huge"    // not accepted, 1 MiB answer body
)

// Weighted is one outcome of the mix and its relative weight.
type Weighted struct {
	Outcome string
	Weight  int
}

// Config shapes a simulated server. Zero fields take defaults.
type Config struct {
	// Addr to listen on; default "127.0.0.1:0" (a free port).
	Addr         string
	ClientID     string        // default "relay"
	ClientSecret string        // default "secret"
	TokenTTL     time.Duration // default 1h
	// Latency is added before answering every send and lookup.
	Latency time.Duration
	// Mix picks each send's outcome by weight; default all "1000".
	Mix []Weighted
	// Force maps a recipient number to the outcome of every send to it,
	// ahead of the mix (bursts still come first).
	Force map[string]string
	// Seed makes the mix deterministic (for a given arrival order).
	Seed uint64
	// RetryAfter is sent with 429 and 5xx outcomes; default 1s; negative
	// sends no Retry-After header.
	RetryAfter time.Duration
	// Hold is how long a timeout outcome holds its answer; default 10s.
	Hold time.Duration
	// FinalAfter is when a 3005's final result becomes visible to lookups;
	// FinalCode is that result (default "1000").
	FinalAfter time.Duration
	FinalCode  string
	// Now is the server's clock for token expiry and 3005 finals.
	Now    func() time.Time
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.ClientID == "" {
		c.ClientID = "relay"
	}
	if c.ClientSecret == "" {
		c.ClientSecret = "secret"
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = time.Hour
	}
	if len(c.Mix) == 0 {
		c.Mix = []Weighted{{Outcome: "1000", Weight: 1}}
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = time.Second
	}
	if c.Hold == 0 {
		c.Hold = 10 * time.Second
	}
	if c.FinalCode == "" {
		c.FinalCode = "1000"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// ErrConfig is returned by NewServer for a config it cannot run.
var ErrConfig = errors.New("kakaotest: invalid config")

func (c Config) validate() error {
	total := 0
	for _, w := range c.Mix {
		if w.Weight < 0 || w.Outcome == "" {
			return fmt.Errorf("%w: mix entry %+v", ErrConfig, w)
		}
		total += w.Weight
	}
	if total == 0 {
		return fmt.Errorf("%w: mix weights sum to 0", ErrConfig)
	}
	if c.TokenTTL < time.Second || c.Latency < 0 || c.Hold < 0 || c.FinalAfter < 0 {
		return fmt.Errorf("%w: durations", ErrConfig)
	}
	return nil
}

// ParseMix parses "1000:90,3018:5,http429:1" into a mix.
func ParseMix(s string) ([]Weighted, error) {
	var mix []Weighted
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		o, w, ok := strings.Cut(part, ":")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 || o == "" {
			return nil, fmt.Errorf("%w: mix entry %q, want outcome:weight", ErrConfig, part)
		}
		mix = append(mix, Weighted{Outcome: o, Weight: n})
	}
	return mix, nil
}
