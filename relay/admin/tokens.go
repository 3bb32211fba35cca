package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// Principal is who a request acts as.
type Principal struct {
	Name     string // the token's name
	Customer string // empty for an operator
}

// Operator reports whether p sees every customer.
func (p Principal) Operator() bool { return p.Customer == "" }

// may reports whether p may see customer's data.
func (p Principal) may(customer string) bool { return p.Operator() || p.Customer == customer }

// Tokens authenticates tokens.
type Tokens struct {
	entries []tokenEntry
	// next is the set Replace put in force; nil until then.
	next atomic.Pointer[[]tokenEntry]
}

// current is the entries in force.
func (t *Tokens) current() []tokenEntry {
	if p := t.next.Load(); p != nil {
		return *p
	}
	return t.entries
}

// Replace puts the tokens of n in force (a configuration reload): a
// token n lacks is refused from the next request on.
func (t *Tokens) Replace(n *Tokens) {
	e := n.current()
	t.next.Store(&e)
}

// has reports whether the principal still has its token.
func (t *Tokens) has(p Principal) bool {
	for _, e := range t.current() {
		if e.who == p {
			return true
		}
	}
	return false
}

type tokenEntry struct {
	hash [sha256.Size]byte
	who  Principal
}

// HashToken returns the stored form of a token: "sha256:<hex>".
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(h[:])
}

func parseTokenHash(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	hx, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hx) != 2*sha256.Size {
		return h, errors.New("hash must be sha256:<64 hex digits>")
	}
	if _, err := hex.Decode(h[:], []byte(hx)); err != nil {
		return h, errors.New("hash must be sha256:<64 hex digits>")
	}
	return h, nil
}

// LoadTokens reads the configured tokens; getenv nil means os.Getenv.
func LoadTokens(cfgs []TokenConfig, getenv func(string) string) (*Tokens, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	t := &Tokens{}
	for _, c := range cfgs {
		var h [sha256.Size]byte
		switch {
		case c.Hash != "":
			var err error
			if h, err = parseTokenHash(c.Hash); err != nil {
				return nil, fmt.Errorf("%w: token %q: %v", ErrConfig, c.Name, err)
			}
		case c.Env != "":
			v := getenv(c.Env)
			if err := CheckTokenFormat(v); err != nil {
				return nil, fmt.Errorf("%w: token %q: $%s: %v (make one with relayctl new-token)", ErrConfig, c.Name, c.Env, err)
			}
			h = sha256.Sum256([]byte(v))
		case c.File != "":
			b, err := os.ReadFile(c.File)
			if err != nil {
				return nil, fmt.Errorf("%w: token %q: %v", ErrConfig, c.Name, err)
			}
			v := strings.TrimRight(string(b), "\r\n")
			if err := CheckTokenFormat(v); err != nil {
				return nil, fmt.Errorf("%w: token %q: %s: %v (make one with relayctl new-token)", ErrConfig, c.Name, c.File, err)
			}
			h = sha256.Sum256([]byte(v))
		default:
			return nil, fmt.Errorf("%w: token %q needs exactly one of hash, env, file", ErrConfig, c.Name)
		}
		t.entries = append(t.entries, tokenEntry{hash: h, who: Principal{Name: c.Name, Customer: c.Customer}})
	}
	return t, nil
}

// tokensHashed counts presented tokens hashed, for tests that check a
// malformed token is refused before it is.
var tokensHashed atomic.Int64

// hashPresented hashes a presented token that fits the format, and refuses
// one that does not without hashing it.
func hashPresented(token string) ([sha256.Size]byte, error) {
	if err := CheckTokenFormat(token); err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	tokensHashed.Add(1)
	return sha256.Sum256([]byte(token)), nil
}

// Authenticate returns who token belongs to. A token that does not fit the
// format is refused before it is hashed; otherwise its hash is compared
// with every entry in constant time, without stopping at a match.
func (t *Tokens) Authenticate(token string) (Principal, error) {
	h, err := hashPresented(token)
	if err != nil {
		return Principal{}, err
	}
	return t.lookup(h)
}

func (t *Tokens) lookup(h [sha256.Size]byte) (Principal, error) {
	entries := t.current()
	found := -1
	for i := range entries {
		if subtle.ConstantTimeCompare(h[:], entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrAuth
	}
	return entries[found].who, nil
}
