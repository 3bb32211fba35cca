package smppserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
)

// ErrConfig is returned by Config.Validate.
var ErrConfig = errors.New("smppserver: invalid config")

// Config is the `[smpp_server]` table. Zero values take the defaults of
// WithDefaults.
type Config struct {
	Listen   string `toml:"listen"`    // e.g. "127.0.0.1:7603"
	SystemID string `toml:"system_id"` // sent in bind responses; default "relay"

	// CertFile and KeyFile turn on TLS for every connection; SMPP
	// passwords are short and travel in clear otherwise.
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`

	MaxConns            int `toml:"max_conns"`              // bound connections; default 1000
	MaxBindsPerCustomer int `toml:"max_binds_per_customer"` // unless the customer sets smpp_binds; default 8

	// MaxPending and MaxPendingPerSource cap connections that have not
	// bound yet, in total and per source (one IPv4 address or one IPv6
	// /64), apart from the bound ones: a flood of sockets that never bind
	// is closed at accept and never takes a bound ESME's place. Defaults
	// 1024 and 32.
	MaxPending          int `toml:"max_pending"`
	MaxPendingPerSource int `toml:"max_pending_per_source"`

	// Window is how many submits one bind may have unanswered; the reader
	// stops reading past it (SMPP's window, enforced by TCP back-pressure).
	// DeliverWindow is how many receipts the server keeps unacknowledged
	// on one bind. Defaults 64 and 64.
	Window        int `toml:"window"`
	DeliverWindow int `toml:"deliver_window"`
	MaxBatch      int `toml:"max_batch"`      // submits stored in one batch; default 64
	Workers       int `toml:"submit_workers"` // per bind; default 4

	BindTimeout     time.Duration `toml:"bind_timeout"`     // first PDU must be a bind by then; default 10s
	EnquireLink     time.Duration `toml:"enquire_link"`     // sent after this long without a PDU; default 30s
	ResponseTimeout time.Duration `toml:"response_timeout"` // for deliver_sm and enquire_link; default 10s
	ReceiptRetry    time.Duration `toml:"receipt_retry"`    // first wait before a refused receipt goes again; default 5s
	ReceiptMaxAge   time.Duration `toml:"receipt_max_age"`  // receipts are offered this long after the final result; default 48h

	// Concatenated SMS: at most MaxParts parts of one customer wait for
	// their siblings, each at most PartsTimeout. Defaults 1000 and 60s.
	MaxParts     int           `toml:"max_parts"`
	PartsTimeout time.Duration `toml:"parts_timeout"`

	// Auth throttles password checks as at every door of the relay (see
	// package authguard; Account is the system_id).
	Auth authguard.Config `toml:"auth"`

	Now func() time.Time `toml:"-"` // the clock; nil means time.Now
}

// WithDefaults fills in the zero values.
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.SystemID == "" {
		c.SystemID = "relay"
	}
	def(&c.MaxConns, 1000)
	def(&c.MaxBindsPerCustomer, 8)
	def(&c.MaxPending, 1024)
	def(&c.MaxPendingPerSource, min(32, c.MaxPending))
	def(&c.Window, 64)
	def(&c.DeliverWindow, 64)
	def(&c.MaxBatch, 64)
	def(&c.Workers, 4)
	def(&c.MaxParts, 1000)
	defD(&c.BindTimeout, 10*time.Second)
	defD(&c.EnquireLink, 30*time.Second)
	defD(&c.ResponseTimeout, 10*time.Second)
	defD(&c.ReceiptRetry, 5*time.Second)
	defD(&c.ReceiptMaxAge, 48*time.Hour)
	defD(&c.PartsTimeout, 60*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Auth.Now == nil {
		c.Auth.Now = c.Now
	}
	c.Auth = c.Auth.WithDefaults()
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(f, a...)) }
	if len(c.SystemID) > 15 {
		return bad("system_id %q is over 15 characters", c.SystemID)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return bad("cert_file and key_file go together")
	}
	for name, v := range map[string]int{
		"max_conns": c.MaxConns, "max_binds_per_customer": c.MaxBindsPerCustomer, "window": c.Window,
		"deliver_window": c.DeliverWindow, "max_batch": c.MaxBatch, "submit_workers": c.Workers,
		"max_parts": c.MaxParts, "max_pending": c.MaxPending, "max_pending_per_source": c.MaxPendingPerSource,
	} {
		if v < 0 {
			return bad("%s must not be negative", name)
		}
	}
	for name, v := range map[string]time.Duration{
		"bind_timeout": c.BindTimeout, "enquire_link": c.EnquireLink, "response_timeout": c.ResponseTimeout,
		"receipt_retry": c.ReceiptRetry, "receipt_max_age": c.ReceiptMaxAge, "parts_timeout": c.PartsTimeout,
	} {
		if v < 0 {
			return bad("%s must not be negative", name)
		}
	}
	if c.MaxPending > 0 && c.MaxPendingPerSource > c.MaxPending {
		return bad("max_pending_per_source %d is over max_pending %d", c.MaxPendingPerSource, c.MaxPending)
	}
	if c.ReceiptMaxAge > 0 && c.ReceiptMaxAge < time.Hour {
		return bad("receipt_max_age %v is under an hour", c.ReceiptMaxAge)
	}
	return c.Auth.Validate()
}

// TLSConfig loads the certificate when TLS is configured; nil otherwise.
func (c Config) TLSConfig() (*tls.Config, error) {
	if c.CertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("smppserver: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
