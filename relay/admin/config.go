package admin

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors.
var (
	ErrConfig    = errors.New("admin: invalid configuration")
	ErrAuth      = errors.New("admin: not authenticated")
	ErrForbidden = errors.New("admin: forbidden")
)

// Defaults.
const (
	DefaultMaxResults = 1000
	DefaultSessionTTL = 8 * time.Hour

	// DefaultSessionsPerToken is how many page sessions one token holds at
	// once; a further sign-in replaces that token's oldest.
	DefaultSessionsPerToken = 10
)

// Config is the `[admin]` table of the daemon's TOML file.
type Config struct {
	Listen     string        `toml:"listen"`      // e.g. "127.0.0.1:8081"; the daemon listens
	AuditFile  string        `toml:"audit_file"`  // JSON lines, fsynced
	MaxResults int           `toml:"max_results"` // most messages one lookup returns; 0 means DefaultMaxResults
	SessionTTL time.Duration `toml:"session_ttl"` // page sessions; 0 means DefaultSessionTTL
	// SessionsPerToken caps one token's page sessions; 0 means
	// DefaultSessionsPerToken.
	SessionsPerToken int           `toml:"sessions_per_token"`
	Tokens           []TokenConfig `toml:"token"`
}

// TokenConfig is one `[[admin.token]]`. Exactly one of Hash, Env, File
// gives the token.
type TokenConfig struct {
	Name     string `toml:"name"`     // who, in the audit log
	Customer string `toml:"customer"` // empty: an operator token
	Hash     string `toml:"hash"`     // "sha256:<64 hex>", see HashToken
	Env      string `toml:"env"`      // environment variable holding the token
	File     string `toml:"file"`     // file holding the token (trailing newline ignored)
}

// Validate checks what can be checked without reading the environment or
// files.
func (c *Config) Validate() error {
	if c.MaxResults < 0 || c.SessionTTL < 0 || c.SessionsPerToken < 0 {
		return fmt.Errorf("%w: negative max_results, session_ttl or sessions_per_token", ErrConfig)
	}
	names := map[string]bool{}
	for i, t := range c.Tokens {
		if t.Name == "" {
			return fmt.Errorf("%w: token %d has no name", ErrConfig, i)
		}
		if names[t.Name] {
			return fmt.Errorf("%w: token name %q used twice", ErrConfig, t.Name)
		}
		names[t.Name] = true
		n := 0
		for _, s := range []string{t.Hash, t.Env, t.File} {
			if s != "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%w: token %q needs exactly one of hash, env, file", ErrConfig, t.Name)
		}
		if t.Hash != "" {
			if _, err := parseTokenHash(t.Hash); err != nil {
				return fmt.Errorf("%w: token %q: %v", ErrConfig, t.Name, err)
			}
		}
	}
	return nil
}

func (c *Config) maxResults() int {
	if c.MaxResults == 0 {
		return DefaultMaxResults
	}
	return c.MaxResults
}

func (c *Config) sessionTTL() time.Duration {
	if c.SessionTTL == 0 {
		return DefaultSessionTTL
	}
	return c.SessionTTL
}

func (c *Config) sessionsPerToken() int {
	if c.SessionsPerToken == 0 {
		return DefaultSessionsPerToken
	}
	return c.SessionsPerToken
}
