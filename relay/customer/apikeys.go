package customer

import (
	"fmt"
	"slices"
	"strings"
)

// MaxAPIKeys is the most HTTP API keys a customer may have in force at
// once: the current one and the next, while its clients rotate. The
// configuration file and the run-time changes alike keep to it.
const MaxAPIKeys = 2

// apiKeyIDLen is how many hex digits of a key's hash make its id: enough
// to tell a customer's keys apart, short enough to type.
const apiKeyIDLen = 12

// APIKey is one of a customer's HTTP API keys as it is shown: its stored
// hash ("sha256:<hex>") and its id, the first 12 hex digits of the hash.
// The key itself is never kept.
type APIKey struct {
	ID   string `json:"id"`
	Hash string `json:"hash"`
}

// KeyObserver is told of every run-time API key change before it takes
// effect, as [Observer] is of the other changes; an Observer that also
// implements it is asked for API key changes instead of CustomerChanged.
// Called with the registry's write lock held: it must not call back into
// the registry.
type KeyObserver interface {
	// APIKeyChanged: hash (stored form) is now customer id's (revoked
	// false), or is no longer in force for it (revoked true).
	APIKeyChanged(id, hash string, revoked bool) error
}

// CheckAPIKeyHash checks a stored API key hash and returns it in its
// canonical form (lower-case hex).
func CheckAPIKeyHash(s string) (string, error) {
	h, err := parseAPIKeyHash(s)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return h.String(), nil
}

func (h apiKeyHash) String() string { return fmt.Sprintf("sha256:%x", h[:]) }

func (h apiKeyHash) id() string { return h.String()[len("sha256:"):][:apiKeyIDLen] }

// APIKeys returns the customer's API keys in force.
func (c *Customer) APIKeys() []APIKey {
	out := make([]APIKey, len(c.apiKeys))
	for i, h := range c.apiKeys {
		out[i] = APIKey{ID: h.id(), Hash: h.String()}
	}
	return out
}

// WithAPIKeys returns a copy of c whose API keys are hashes (stored
// form): for the merge of run-time changes over the configuration.
func (c *Customer) WithAPIKeys(hashes []string) (*Customer, error) {
	keys := make([]apiKeyHash, 0, len(hashes))
	for _, s := range hashes {
		h, err := parseAPIKeyHash(s)
		if err != nil {
			return nil, fmt.Errorf("%w: customer %q: %v", ErrConfig, c.ID, err)
		}
		if !slices.Contains(keys, h) {
			keys = append(keys, h)
		}
	}
	n := c.clone()
	n.apiKeys = keys
	return n, nil
}

// AddAPIKey puts an API key, given by its stored hash, in force for the
// customer from the next request. A hash belongs to one customer, and a
// customer has at most MaxAPIKeys.
func (r *Registry) AddAPIKey(id, hash string) error {
	h, err := parseAPIKeyHash(hash)
	if err != nil {
		return fmt.Errorf("%w: customer %q: %v", ErrConfig, id, err)
	}
	return r.updateKeys(id, ChangeAddAPIKey, func(snap *snapshot, c *Customer) (*Customer, apiKeyHash, error) {
		if owner := snap.byAPIKey[h]; owner != nil {
			if owner.ID == id {
				return nil, h, fmt.Errorf("%w: API key %s is already customer %q's", ErrDuplicate, h.id(), id)
			}
			return nil, h, fmt.Errorf("%w: API key %s is customer %q's; a key belongs to one customer", ErrKeyTaken, h.id(), owner.ID)
		}
		if len(c.apiKeys) >= MaxAPIKeys {
			return nil, h, fmt.Errorf("%w: customer %q has %d, at most %d API keys may be in force; revoke one first",
				ErrTooManyKeys, id, len(c.apiKeys), MaxAPIKeys)
		}
		c = c.clone()
		c.apiKeys = append(c.apiKeys, h)
		return c, h, nil
	})
}

// RevokeAPIKey takes one of the customer's API keys out of force from the
// next request, named by its stored hash or its id. It returns the
// revoked key's hash.
func (r *Registry) RevokeAPIKey(id, hashOrID string) (string, error) {
	var revoked apiKeyHash
	err := r.updateKeys(id, ChangeRevokeAPIKey, func(_ *snapshot, c *Customer) (*Customer, apiKeyHash, error) {
		i := slices.IndexFunc(c.apiKeys, func(h apiKeyHash) bool {
			return strings.EqualFold(h.String(), hashOrID) || (len(hashOrID) == apiKeyIDLen && strings.EqualFold(h.id(), hashOrID))
		})
		if i < 0 {
			return nil, revoked, fmt.Errorf("%w: API key %q of customer %q (want the sha256:<hex> hash of one of its keys, or its %d-digit id)",
				ErrNotFound, KeyShown(hashOrID), id, apiKeyIDLen)
		}
		revoked = c.apiKeys[i]
		c = c.clone()
		c.apiKeys = slices.Delete(c.apiKeys, i, i+1)
		return c, revoked, nil
	})
	if err != nil {
		return "", err
	}
	return revoked.String(), nil
}

// updateKeys is update for an API key change: fn returns the customer
// changed and the key it changes; the observer is asked through
// [KeyObserver] when it implements it.
func (r *Registry) updateKeys(id string, change Change, fn func(*snapshot, *Customer) (*Customer, apiKeyHash, error)) error {
	var h apiKeyHash
	return r.updateWith(id, change, func(snap *snapshot, c *Customer) (next *Customer, err error) {
		next, h, err = fn(snap, c)
		return next, err
	}, func(next *Customer) error {
		if ko, ok := r.obs.(KeyObserver); ok {
			return ko.APIKeyChanged(id, h.String(), change == ChangeRevokeAPIKey)
		}
		return r.obs.CustomerChanged(change, next)
	})
}
