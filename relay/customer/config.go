package customer

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/msgrelay/relay/relay/message"
)

// DefaultRate is the rate, in messages per second, of a customer whose
// configuration names none; the burst defaults to one second's worth.
const DefaultRate = 100

// Config is one `[[customer]]` table of the daemon's TOML file. Exactly one
// of SecretHash, SecretEnv and SecretFile names the secret: a stored hash
// (see [HashSecret]), or an environment variable or file holding the plain
// secret, which is hashed when loaded and then forgotten.
type Config struct {
	ID         string `toml:"id"`          // binds and admin paths use it; 1 to 64 characters, no spaces
	Name       string `toml:"name"`        // shown on statements and pages
	SecretHash string `toml:"secret_hash"` // stored hash of the upstream secret (relayctl hash-secret)
	SecretEnv  string `toml:"secret_env"`  // environment variable holding the plain secret, hashed at load
	SecretFile string `toml:"secret_file"` // file holding the plain secret, hashed at load

	Products    []string `toml:"products"`    // e.g. ["sms", "lms", "alimtalk"]
	Senders     []string `toml:"senders"`     // sender numbers, '-' and spaces allowed
	SenderKeys  []string `toml:"sender_keys"` // Kakao sender profile keys
	Advertising bool     `toml:"advertising"` // may send advertising FriendTalk

	Rate  float64 `toml:"rate"`  // messages per second; 0 means DefaultRate
	Burst int     `toml:"burst"` // token bucket depth; 0 means one second's worth

	// The HTTP API and report webhooks: APIKeys are the stored hashes
	// ("sha256:<hex>", see HashAPIKey) of the customer's API keys, at
	// most two in force at once (the admin API adds and revokes keys at
	// run time, which win over this list); ReportURL, when set, receives its final reports, signed with
	// WebhookSecrets (or the comma-separated secrets in the environment
	// variable WebhookSecretsEnv), at most two at once for rotation.
	APIKeys           []string `toml:"api_keys"`
	ReportURL         string   `toml:"report_url"`
	WebhookSecrets    []string `toml:"webhook_secrets"`
	WebhookSecretsEnv string   `toml:"webhook_secrets_env"`
	// The SMPP server's bind: SMPPPasswordHash is the stored hash (the
	// secret's form) of the customer's SMPP password, at most 8 characters
	// as SMPP 3.4 allows; without it the customer cannot bind over SMPP.
	// SMPPNetworks, when set, are the only source networks it may bind
	// from; SMPPBinds caps its open binds (0: the server's default).
	SMPPPasswordHash string   `toml:"smpp_password_hash"`
	SMPPNetworks     []string `toml:"smpp_networks"`
	SMPPBinds        int      `toml:"smpp_binds"`

	Suspended     bool   `toml:"suspended"`      // refuse the customer's submits (CUSTOMER_SUSPENDED)
	SuspendReason string `toml:"suspend_reason"` // why, in the refusal and on the pages
	EndDate       string `toml:"end_date"`       // the contract's last day, YYYY-MM-DD; refused from the day after
}

// Validate checks everything that can be checked without reading the
// environment or files.
func (c *Config) Validate() error {
	_, err := c.build(nil)
	return err
}

// ValidateAll validates each table and that no id is used twice.
func ValidateAll(cfgs []Config) error {
	seen := make(map[string]bool, len(cfgs))
	keys := map[string]string{} // API key hash → customer
	var errs []error
	for i := range cfgs {
		if err := cfgs[i].Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[cfgs[i].ID] {
			errs = append(errs, fmt.Errorf("%w: customer id %q used twice", ErrConfig, cfgs[i].ID))
		}
		seen[cfgs[i].ID] = true
		for _, k := range cfgs[i].APIKeys {
			if owner, dup := keys[k]; dup {
				errs = append(errs, fmt.Errorf("%w: an API key of customer %q is also customer %q's", ErrConfig, cfgs[i].ID, owner))
			}
			keys[k] = cfgs[i].ID
		}
	}
	return errors.Join(errs...)
}

// LoadOptions says where plain secrets come from and how they are hashed.
type LoadOptions struct {
	Getenv     func(string) string          // default os.Getenv
	ReadFile   func(string) ([]byte, error) // default os.ReadFile
	Iterations int                          // PBKDF2 iterations for plain secrets; 0 means DefaultIterations
}

// Load validates the tables and builds the customers, reading and hashing
// plain secrets. Error messages never contain a secret.
func Load(cfgs []Config, opts LoadOptions) ([]*Customer, error) {
	if err := ValidateAll(cfgs); err != nil {
		return nil, err
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	out := make([]*Customer, 0, len(cfgs))
	for i := range cfgs {
		c, err := cfgs[i].build(&opts)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// build makes the customer; with opts nil it only validates, leaving plain
// secrets unread.
func (c *Config) build(opts *LoadOptions) (*Customer, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: customer %q: %s", ErrConfig, c.ID, fmt.Sprintf(format, args...))
	}
	if c.ID == "" || len(c.ID) > 64 || strings.ContainsAny(c.ID, " \t\r\n") {
		return nil, bad("id must be 1 to 64 characters without spaces")
	}
	n := 0
	for _, s := range []string{c.SecretHash, c.SecretEnv, c.SecretFile} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, bad("exactly one of secret_hash, secret_env, secret_file is required")
	}
	cu := &Customer{
		ID: c.ID, Name: c.Name,
		Suspended: c.Suspended, SuspendReason: c.SuspendReason, EndDate: c.EndDate,
		Advertising: c.Advertising,
		Rate:        c.Rate, Burst: c.Burst,
	}
	if c.Suspended && c.SuspendReason == "" {
		return nil, bad("suspended needs a suspend_reason")
	}
	if err := checkEndDate(c.EndDate); err != nil {
		return nil, bad("%v", err)
	}
	if c.Rate < 0 || c.Burst < 0 {
		return nil, bad("rate and burst must not be negative")
	}
	if cu.Rate == 0 {
		cu.Rate = DefaultRate
	}
	if cu.Burst == 0 {
		cu.Burst = max(1, int(cu.Rate))
	}
	if len(c.Products) == 0 {
		return nil, bad("products is empty")
	}
	for _, name := range c.Products {
		p, err := message.ParseProduct(name)
		if err != nil || p == message.ProductAuto {
			return nil, bad("unknown product %q (auto is a request, not a product)", name)
		}
		if !cu.Allows(p) {
			cu.Products = append(cu.Products, p)
		}
	}
	for _, s := range c.Senders {
		num, err := checkSender(s)
		if err != nil {
			return nil, bad("%v", err)
		}
		if cu.HasSender(num) {
			return nil, bad("sender %s listed twice", num)
		}
		cu.Senders = append(cu.Senders, num)
	}
	if len(cu.Senders) > MaxSenders {
		return nil, bad("%v: %d listed, at most %d per customer", ErrTooManySenders, len(cu.Senders), MaxSenders)
	}
	for _, k := range c.SenderKeys {
		if k == "" {
			return nil, bad("empty sender key")
		}
		cu.SenderKeys = append(cu.SenderKeys, k)
	}
	if err := c.buildIngress(cu, opts); err != nil {
		return nil, bad("%v", err)
	}
	if len(cu.apiKeys) > MaxAPIKeys {
		return nil, bad("%v: %d listed in api_keys, at most %d per customer", ErrTooManyKeys, len(cu.apiKeys), MaxAPIKeys)
	}
	if c.SMPPPasswordHash != "" {
		h, err := parseSecretHash(c.SMPPPasswordHash)
		if err != nil {
			return nil, bad("smpp_password_hash: %v", err)
		}
		cu.smppPassword = h
	}
	for _, n := range c.SMPPNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, bad("smpp_networks: %q is not a network such as 10.1.2.0/24", n)
		}
		cu.SMPPNetworks = append(cu.SMPPNetworks, p.Masked())
	}
	if c.SMPPBinds < 0 {
		return nil, bad("smpp_binds must not be negative")
	}
	cu.SMPPBinds = c.SMPPBinds
	if c.SecretHash != "" {
		h, err := parseSecretHash(c.SecretHash)
		if err != nil {
			return nil, bad("secret_hash: %v", err)
		}
		cu.secret = h
	}
	if opts == nil || c.SecretHash != "" {
		return cu, nil
	}
	var secret string
	if c.SecretEnv != "" {
		secret = opts.Getenv(c.SecretEnv)
		if secret == "" {
			return nil, bad("secret_env %s is empty or unset", c.SecretEnv)
		}
	} else {
		b, err := opts.ReadFile(c.SecretFile)
		if err != nil {
			return nil, bad("secret_file: %v", err)
		}
		secret = strings.TrimRight(string(b), "\r\n")
		if secret == "" {
			return nil, bad("secret_file %s is empty", c.SecretFile)
		}
	}
	stored, err := HashSecret(secret, opts.Iterations)
	if err != nil {
		return nil, bad("%v", err)
	}
	if cu.secret, err = parseSecretHash(stored); err != nil {
		return nil, bad("%v", err)
	}
	return cu, nil
}

// checkSender normalises a sender number and checks it is 7 to 12 digits
// (from 1588-4954 style numbers to 0XX-XXXX-XXXX).
func checkSender(s string) (string, error) {
	num := NormalizeNumber(s)
	if !allDigits(num) || len(num) < 7 || len(num) > 12 {
		return "", fmt.Errorf("%w: %q must be 7 to 12 digits", ErrBadNumber, s)
	}
	return num, nil
}
