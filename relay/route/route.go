// Package route chooses the carrier an SMS or LMS goes to.
//
// Rules are tried in order; the first whose products and recipient prefixes
// match the message decides. Inside a rule, carriers share the traffic by
// weight (smooth weighted round robin, so a 3:1 split is 3:1 in every
// window of four messages, not only on average). A carrier with no live bind
// is skipped; when none of the rule's weighted carriers is live, its failover
// carriers are tried in order. When nothing is live the message waits: a
// route is not a reason to fail a message that a carrier may take in a minute.
package route

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/msgrelay/relay/relay/message"
)

// ErrNoLiveCarrier is returned when every carrier the rules allow is down.
var ErrNoLiveCarrier = errors.New("route: no live carrier")

// ErrNoRule is returned when no rule matches the message.
var ErrNoRule = errors.New("route: no rule matches")

// Config is one routing rule as written in the configuration file.
type Config struct {
	// Products the rule applies to ("sms", "lms"); empty means both.
	Products []string `toml:"products"`
	// Prefixes of the recipient number ("010", "0119"); empty means any.
	Prefixes []string `toml:"prefixes"`
	// Carriers share the rule's traffic by weight.
	Carriers []Weighted `toml:"carriers"`
	// Failover carriers, in order, used while no weighted carrier is live.
	Failover []string `toml:"failover"`
}

// Weighted is a carrier and its share of a rule's traffic.
type Weighted struct {
	Name   string `toml:"name"`   // a [[carrier]] name
	Weight int    `toml:"weight"` // its share against the rule's other carriers
}

// Validate checks a rule against the set of configured carriers.
func (c *Config) Validate(carriers map[string]bool) error {
	if len(c.Carriers) == 0 {
		return errors.New("route: a rule needs at least one carrier")
	}
	for _, p := range c.Products {
		pr, err := message.ParseProduct(p)
		if err != nil || !pr.SMPP() {
			return fmt.Errorf("route: product %q cannot be routed to a carrier", p)
		}
	}
	for _, p := range c.Prefixes {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return fmt.Errorf("route: prefix %q is not digits", p)
		}
	}
	for _, w := range c.Carriers {
		if !carriers[w.Name] {
			return fmt.Errorf("route: unknown carrier %q", w.Name)
		}
		if w.Weight < 0 {
			return fmt.Errorf("route: carrier %q has negative weight %d", w.Name, w.Weight)
		}
	}
	for _, n := range c.Failover {
		if !carriers[n] {
			return fmt.Errorf("route: unknown failover carrier %q", n)
		}
	}
	return nil
}

// Live reports whether a carrier has at least one bound session.
type Live func(carrier string) bool

// Router picks carriers. It is safe for concurrent use.
type Router struct {
	rules []*rule
	live  Live
}

type rule struct {
	products []message.Product
	prefixes []string
	failover []string

	mu struct {
		sync.Mutex
		names   []string
		weights []int
		current []int
	}
}

// New builds a router from validated rules.
func New(cfgs []Config, live Live) (*Router, error) {
	r := &Router{live: live}
	for i := range cfgs {
		c := &cfgs[i]
		ru := &rule{prefixes: c.Prefixes, failover: c.Failover}
		for _, p := range c.Products {
			pr, err := message.ParseProduct(p)
			if err != nil {
				return nil, err
			}
			ru.products = append(ru.products, pr)
		}
		for _, w := range c.Carriers {
			weight := w.Weight
			if weight == 0 {
				weight = 1
			}
			ru.mu.names = append(ru.mu.names, w.Name)
			ru.mu.weights = append(ru.mu.weights, weight)
			ru.mu.current = append(ru.mu.current, 0)
		}
		r.rules = append(r.rules, ru)
	}
	return r, nil
}

// Pick returns the carrier for a message with the given product and
// recipient. It returns ErrNoRule or ErrNoLiveCarrier when there is none.
func (r *Router) Pick(p message.Product, recipient string) (string, error) {
	for _, ru := range r.rules {
		if !ru.matches(p, recipient) {
			continue
		}
		if name, ok := ru.pickLive(r.live); ok {
			return name, nil
		}
		for _, n := range ru.failover {
			if r.live(n) {
				return n, nil
			}
		}
		return "", fmt.Errorf("%w for %s to %s…", ErrNoLiveCarrier, p, prefix(recipient))
	}
	return "", fmt.Errorf("%w: %s to %s…", ErrNoRule, p, prefix(recipient))
}

func prefix(s string) string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func (ru *rule) matches(p message.Product, recipient string) bool {
	if len(ru.products) > 0 {
		found := false
		for _, q := range ru.products {
			if q == p {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(ru.prefixes) == 0 {
		return true
	}
	for _, pre := range ru.prefixes {
		if strings.HasPrefix(recipient, pre) {
			return true
		}
	}
	return false
}

// pickLive runs one step of smooth weighted round robin over the live
// carriers of the rule.
func (ru *rule) pickLive(live Live) (string, bool) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	best, total := -1, 0
	for i, n := range ru.mu.names {
		if !live(n) {
			continue
		}
		ru.mu.current[i] += ru.mu.weights[i]
		total += ru.mu.weights[i]
		if best < 0 || ru.mu.current[i] > ru.mu.current[best] {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	ru.mu.current[best] -= total
	return ru.mu.names[best], true
}
