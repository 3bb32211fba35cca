package customer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxWebhookSecrets is how many webhook secrets may be active at once: the
// current one and the next, while a receiver rotates.
const MaxWebhookSecrets = 2

// apiKeyHash is the stored form of an HTTP API key: SHA-256 of the key.
// Keys are generated with at least 128 random bits, so a fast hash is
// enough and keeps each request cheap; PBKDF2 stays for chosen secrets.
type apiKeyHash [sha256.Size]byte

// HashAPIKey returns the stored form of an API key, "sha256:<hex>", as
// `api_keys` takes it.
func HashAPIKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return fmt.Sprintf("sha256:%x", h[:])
}

// keyPrefix starts every API key (package tokenfmt).
const keyPrefix = "rly_"

var errKeyNotHash = errors.New("an API key itself, not its hash: give its sha256:<64 hex digits> hash " +
	"(relayctl new-api-key prints it); the relay keeps only hashes, and does not repeat the key")

// KeyShown is s as a message or a log may show it: an API key ("rly_…",
// a secret) is withheld, anything else is itself.
func KeyShown(s string) string {
	if strings.HasPrefix(s, keyPrefix) {
		return keyPrefix + "… (an API key, withheld)"
	}
	return s
}

func parseAPIKeyHash(s string) (apiKeyHash, error) {
	var h apiKeyHash
	if strings.HasPrefix(s, keyPrefix) { // not echoed: it is a secret
		return h, errKeyNotHash
	}
	hx, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hx) != 2*sha256.Size {
		return h, fmt.Errorf("api key hash %q: want sha256:<64 hex digits>", s)
	}
	if _, err := hex.Decode(h[:], []byte(hx)); err != nil {
		return h, fmt.Errorf("api key hash %q: want sha256:<64 hex digits>", s)
	}
	return h, nil
}

// WebhookSecrets returns the secrets the customer's reports are signed
// with, the first one current.
func (c *Customer) WebhookSecrets() []string { return c.webhookSecrets }

// buildIngress reads the HTTP API keys and the report webhook of a table
// into cu; with opts nil only what needs no environment is checked.
func (c *Config) buildIngress(cu *Customer, opts *LoadOptions) error {
	for _, s := range c.APIKeys {
		h, err := parseAPIKeyHash(s)
		if err != nil {
			return err
		}
		cu.apiKeys = append(cu.apiKeys, h)
	}
	if c.ReportURL != "" {
		u, err := url.Parse(c.ReportURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return fmt.Errorf("report_url %q: want http(s)://host/path without credentials", c.ReportURL)
		}
		cu.ReportURL = c.ReportURL
	}
	if cu.ReportURL != "" && len(c.WebhookSecrets) == 0 && c.WebhookSecretsEnv == "" {
		return fmt.Errorf("report_url needs webhook_secrets or webhook_secrets_env")
	}
	secrets := c.WebhookSecrets
	if c.WebhookSecretsEnv != "" {
		if len(secrets) > 0 {
			return fmt.Errorf("webhook_secrets and webhook_secrets_env are exclusive")
		}
		if opts == nil {
			return nil // read and checked at load
		}
		v := opts.Getenv(c.WebhookSecretsEnv)
		if v == "" {
			return fmt.Errorf("webhook_secrets_env %s is empty or unset", c.WebhookSecretsEnv)
		}
		secrets = strings.Split(v, ",")
	}
	if len(secrets) > MaxWebhookSecrets {
		return fmt.Errorf("%d webhook secrets, at most %d active at once", len(secrets), MaxWebhookSecrets)
	}
	for _, s := range secrets {
		if len(s) < 16 {
			return fmt.Errorf("a webhook secret is shorter than 16 characters")
		}
	}
	cu.webhookSecrets = secrets
	return nil
}

// CustomerByAPIKey returns the id of the customer whose API key key is,
// comparing SHA-256 hashes only.
func (r *Registry) CustomerByAPIKey(key string) (string, bool) {
	c := r.snap.Load().byAPIKey[sha256.Sum256([]byte(key))]
	if c == nil {
		return "", false
	}
	return c.ID, true
}
