package upstream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
)

// Config is the server's part of the relay configuration. The zero value of
// a field means its default; Validate checks the rest.
type Config struct {
	// Name labels the server's metrics; default "upstream".
	Name string

	// TLS, when set, makes the server speak TLS on every accepted conn.
	TLS *tls.Config

	MaxFrameSize int           // largest frame body accepted; default 64 KiB
	BindTimeout  time.Duration // from accept to a successful Bind; default 5s
	IdleTimeout  time.Duration // closed after this long without a frame; default 90s
	WriteTimeout time.Duration // a write that takes longer closes the conn; default 30s

	MaxConns            int // bound connections; default 10,000
	MaxConnsPerCustomer int // bound connections per customer; default 16

	// MaxPending and MaxPendingPerSource cap connections that have not yet
	// bound, in total and per source (one IPv4 address or one IPv6 /64),
	// apart from the bound ones: a flood of connections that never bind is
	// closed at accept and cannot take a bound customer's place. Defaults
	// 1,024 and 32.
	MaxPending          int
	MaxPendingPerSource int

	MaxInFlight       int // submits read ahead per connection; default 4096
	SubmitWorkers     int // handler calls in parallel per connection; default 4
	MaxBatch          int // submits per SubmitBatch call; default 256
	MaxUnackedReports int // reports pushed and not acked per connection; default 1024

	// Auth throttles secret checks (see package authguard): wrong secrets
	// per (customer, source) and per customer, and a global budget of
	// checks. A bind it refuses is answered THROTTLED without asking the
	// Handler.
	Auth authguard.Config
}

// ErrBadConfig is wrapped by every Validate error.
var ErrBadConfig = errors.New("upstream: bad config")

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxFrameSize, DefaultMaxFrameSize)
	defDur(&c.BindTimeout, 5*time.Second)
	defDur(&c.IdleTimeout, 90*time.Second)
	defDur(&c.WriteTimeout, 30*time.Second)
	def(&c.MaxConns, 10000)
	def(&c.MaxConnsPerCustomer, 16)
	def(&c.MaxInFlight, 4096)
	def(&c.SubmitWorkers, 4)
	def(&c.MaxBatch, 256)
	def(&c.MaxUnackedReports, 1024)
	def(&c.MaxPending, 1024)
	def(&c.MaxPendingPerSource, min(32, c.MaxPending))
	c.Auth = c.Auth.WithDefaults()
	if c.Name == "" {
		c.Name = "upstream"
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.MaxFrameSize < 512 || c.MaxFrameSize > 16<<20:
		return fmt.Errorf("%w: max frame size %d not in [512, 16 MiB]", ErrBadConfig, c.MaxFrameSize)
	case c.BindTimeout < 0 || c.IdleTimeout < 0 || c.WriteTimeout < 0:
		return fmt.Errorf("%w: negative timeout", ErrBadConfig)
	case c.MaxConns < 0 || c.MaxConnsPerCustomer < 0 || c.MaxPending < 0 || c.MaxPendingPerSource < 0:
		return fmt.Errorf("%w: negative connection limit", ErrBadConfig)
	case c.MaxInFlight < 1 || c.SubmitWorkers < 1 || c.MaxBatch < 1 || c.MaxUnackedReports < 1:
		return fmt.Errorf("%w: in-flight, workers, batch and unacked reports must be ≥ 1", ErrBadConfig)
	case c.SubmitWorkers > c.MaxInFlight:
		return fmt.Errorf("%w: %d submit workers for %d in flight", ErrBadConfig, c.SubmitWorkers, c.MaxInFlight)
	case c.MaxPendingPerSource > c.MaxPending:
		return fmt.Errorf("%w: %d pending connections per source for %d in total", ErrBadConfig, c.MaxPendingPerSource, c.MaxPending)
	}
	if err := c.Auth.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return nil
}
