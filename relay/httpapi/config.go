package httpapi

import (
	"errors"
	"fmt"
	"time"
)

// ErrConfig is returned for an invalid [Config].
var ErrConfig = errors.New("httpapi: invalid configuration")

// Defaults and bounds.
const (
	// MaxBatchLimit is the most messages one request may carry.
	MaxBatchLimit = 1000
	// DefaultMaxBody bounds a request body: a full batch of long Korean
	// LMS (2,000 EUC-KR bytes are up to 3,000 bytes of UTF-8) fits.
	DefaultMaxBody     = 8 << 20
	DefaultReadTimeout = 30 * time.Second
	DefaultIdleTimeout = 2 * time.Minute
)

// Config is the `[http]` table of the daemon's TOML file.
type Config struct {
	Listen      string        `toml:"listen"`       // e.g. "127.0.0.1:7604"; empty: no HTTP API
	MaxBatch    int           `toml:"max_batch"`    // messages per request; 0 means MaxBatchLimit
	MaxBody     int64         `toml:"max_body"`     // bytes per request body; 0 means DefaultMaxBody
	ReadTimeout time.Duration `toml:"read_timeout"` // whole request, body included; 0 means DefaultReadTimeout
	IdleTimeout time.Duration `toml:"idle_timeout"` // keep-alive; 0 means DefaultIdleTimeout

	// TLSCert and TLSKey are PEM files, both or neither: with them the
	// API is served over HTTPS (the daemon wraps the listener).
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// SetDefaults fills zero fields.
func (c *Config) SetDefaults() {
	if c.MaxBatch == 0 {
		c.MaxBatch = MaxBatchLimit
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
}

// Validate checks the limits (after SetDefaults, or with zeros meaning
// their defaults).
func (c *Config) Validate() error {
	switch {
	case c.MaxBatch < 0 || c.MaxBatch > MaxBatchLimit:
		return fmt.Errorf("%w: max_batch %d: 1 to %d", ErrConfig, c.MaxBatch, MaxBatchLimit)
	case c.MaxBody < 0 || (c.MaxBody > 0 && c.MaxBody < 4<<10):
		return fmt.Errorf("%w: max_body %d: at least 4096 bytes", ErrConfig, c.MaxBody)
	case c.ReadTimeout < 0 || c.IdleTimeout < 0:
		return fmt.Errorf("%w: negative timeout", ErrConfig)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return fmt.Errorf("%w: tls_cert and tls_key go together", ErrConfig)
	}
	return nil
}
