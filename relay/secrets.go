package relay

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
)

// CheckSecrets checks what start-up needs beyond the file's own syntax,
// without starting anything: every secret named by a file or an
// environment variable is read, every TLS pair loads and matches, and no
// carrier binds without a password unless its table says password = ""
// explicitly. `relayd -check-config`, `relayctl check-config` and Start
// (before it opens the store) run it, so a config that cannot start fails
// before anything is touched. Each error names the key and its value,
// never a secret.
func (c *Config) CheckSecrets() error {
	var errs []error
	for i := range c.Carriers {
		if err := c.checkCarrierPassword(i); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Kakao.BaseURL != "" && c.Kakao.BaseURL != "sim" {
		if s, err := c.Kakao.ResolveSecret(); err != nil {
			errs = append(errs, err)
		} else if s == "" {
			errs = append(errs, errors.New("kakao: the client secret is empty (client_secret, client_secret_env or client_secret_file)"))
		}
	}
	if _, err := customer.Load(c.Customers, customer.LoadOptions{Iterations: customer.MinIterations}); err != nil {
		errs = append(errs, err)
	}
	if _, err := admin.LoadTokens(c.Admin.Tokens, nil); err != nil {
		errs = append(errs, err)
	}
	for _, p := range []struct{ table, certKey, cert, keyKey, key string }{
		{"upstream", "tls_cert", c.Upstream.TLSCert, "tls_key", c.Upstream.TLSKey},
		{"smpp_server", "cert_file", c.SMPPServer.CertFile, "key_file", c.SMPPServer.KeyFile},
		{"http", "tls_cert", c.HTTP.TLSCert, "tls_key", c.HTTP.TLSKey},
	} {
		if err := checkKeyPair(p.table, p.certKey, p.cert, p.keyKey, p.key); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkCarrierPassword resolves carrier i's password: an SMSC that takes
// an empty one is rare enough (a simulator) that the file must say so.
func (c *Config) checkCarrierPassword(i int) error {
	cc := &c.Carriers[i]
	pw, err := cc.ResolvePassword()
	switch {
	case err != nil:
		return err
	case pw != "":
		return nil
	case cc.PasswordFile != "":
		return fmt.Errorf("carrier %q: password_file %s is empty", cc.Name, cc.PasswordFile)
	case cc.PasswordEnv != "":
		return fmt.Errorf("carrier %q: password_env %s is empty", cc.Name, cc.PasswordEnv)
	case c.emptyPasswords[cc.Name]:
		return nil
	}
	return fmt.Errorf("carrier %q: no password (password, password_env or password_file); "+
		`write password = "" if the SMSC takes none, as some simulators do`, cc.Name)
}

// checkKeyPair reads a listener's certificate and key files and loads them
// as a pair, as the listener will.
func checkKeyPair(table, certKey, cert, keyKey, key string) error {
	if cert == "" && key == "" {
		return nil
	}
	var errs []error
	for _, f := range [][2]string{{certKey, cert}, {keyKey, key}} {
		if _, err := os.ReadFile(f[1]); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", table, f[0], err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		return fmt.Errorf("%s.%s %s and %s.%s %s: %w", table, certKey, cert, table, keyKey, key, err)
	}
	return nil
}

// explicitEmptyPasswords returns the names of the carriers whose table
// writes password = "": decoding into a pointer tells that from a table
// without the key, which the Config's string cannot.
func explicitEmptyPasswords(text string) (map[string]bool, error) {
	var f struct {
		Carriers []struct {
			Name     string  `toml:"name"`
			Password *string `toml:"password"`
		} `toml:"carrier"`
	}
	if _, err := toml.Decode(text, &f); err != nil {
		return nil, err
	}
	var names map[string]bool
	for _, cc := range f.Carriers {
		if cc.Password != nil && *cc.Password == "" {
			if names == nil {
				names = map[string]bool{}
			}
			names[cc.Name] = true
		}
	}
	return names, nil
}
