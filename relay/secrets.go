package relay

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
)

// CheckSecrets reads every secret the configuration names in a file or the
// environment, as Start would, without starting anything: a missing secret
// file fails `relayd -check-config` rather than the next start.
func (c *Config) CheckSecrets() error {
	var errs []error
	for i := range c.Carriers {
		if _, err := c.Carriers[i].ResolvePassword(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Kakao.BaseURL != "" && c.Kakao.BaseURL != "sim" {
		if s, err := c.Kakao.ResolveSecret(); err != nil {
			errs = append(errs, fmt.Errorf("kakao: client secret: %w", err))
		} else if s == "" {
			errs = append(errs, errors.New("kakao: the client secret is empty"))
		}
	}
	if _, err := customer.Load(c.Customers, customer.LoadOptions{Iterations: customer.MinIterations}); err != nil {
		errs = append(errs, err)
	}
	if _, err := admin.LoadTokens(c.Admin.Tokens, nil); err != nil {
		errs = append(errs, err)
	}
	if c.Upstream.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.Upstream.TLSCert, c.Upstream.TLSKey); err != nil {
			errs = append(errs, fmt.Errorf("upstream: tls: %w", err))
		}
	}
	return errors.Join(errs...)
}
