package webhook

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrConfig is returned for an invalid [Config].
var ErrConfig = errors.New("webhook: invalid configuration")

// Defaults.
const (
	DefaultRetryMin    = time.Second
	DefaultRetryMax    = time.Hour
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 8
	// GiveUpAfter is how long after its final result a report is retried.
	GiveUpAfter = 48 * time.Hour
)

// Config is the `[webhook]` table of the daemon's TOML file.
type Config struct {
	RetryMin    time.Duration `toml:"retry_min"`   // first backoff; 0 means DefaultRetryMin
	RetryMax    time.Duration `toml:"retry_max"`   // longest backoff; 0 means DefaultRetryMax
	Timeout     time.Duration `toml:"timeout"`     // one delivery, connect to answer; 0 means DefaultTimeout
	Concurrency int           `toml:"concurrency"` // deliveries in flight per customer; 0 means DefaultConcurrency

	// The SSRF policy: which resolved addresses a report_url may reach.
	AllowHTTP     bool     `toml:"allow_http"`     // plain http targets (dev only)
	AllowLoopback bool     `toml:"allow_loopback"` // 127.0.0.0/8, ::1 (dev only)
	AllowPrivate  bool     `toml:"allow_private"`  // RFC 1918, fc00::/7, link-local, 100.64/10
	AllowNetworks []string `toml:"allow_networks"` // CIDRs allowed whatever the above

	// DevReceiver, when set, is where the daemon runs the in-tree test
	// receiver (webhooktest) for the dev configuration, e.g.
	// "127.0.0.1:7605". Never in production.
	DevReceiver string `toml:"dev_receiver"`
}

// SetDefaults fills zero fields.
func (c *Config) SetDefaults() {
	if c.RetryMin == 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
}

// Validate checks the table; zero fields mean their defaults.
func (c *Config) Validate() error {
	_, err := c.guard()
	if err != nil {
		return err
	}
	switch {
	case c.RetryMin < 0 || c.RetryMax < 0 || c.Timeout < 0 || c.Concurrency < 0:
		return fmt.Errorf("%w: negative retry, timeout or concurrency", ErrConfig)
	case c.RetryMax != 0 && c.RetryMin > c.RetryMax:
		return fmt.Errorf("%w: retry_min %s above retry_max %s", ErrConfig, c.RetryMin, c.RetryMax)
	case c.Concurrency > 256:
		return fmt.Errorf("%w: concurrency %d, at most 256", ErrConfig, c.Concurrency)
	}
	return nil
}

func (c *Config) guard() (*guard, error) {
	g := &guard{allowHTTP: c.AllowHTTP, allowLoopback: c.AllowLoopback, allowPrivate: c.AllowPrivate}
	for _, n := range c.AllowNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("%w: allow_networks: %q is not a network such as 10.1.0.0/16", ErrConfig, n)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g, nil
}
