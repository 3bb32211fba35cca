package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
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
			if len(v) < 16 {
				return nil, fmt.Errorf("%w: token %q: $%s is unset or shorter than 16 characters", ErrConfig, c.Name, c.Env)
			}
			h = sha256.Sum256([]byte(v))
		case c.File != "":
			b, err := os.ReadFile(c.File)
			if err != nil {
				return nil, fmt.Errorf("%w: token %q: %v", ErrConfig, c.Name, err)
			}
			v := strings.TrimRight(string(b), "\r\n")
			if len(v) < 16 {
				return nil, fmt.Errorf("%w: token %q: file holds fewer than 16 characters", ErrConfig, c.Name)
			}
			h = sha256.Sum256([]byte(v))
		default:
			return nil, fmt.Errorf("%w: token %q needs exactly one of hash, env, file", ErrConfig, c.Name)
		}
		t.entries = append(t.entries, tokenEntry{hash: h, who: Principal{Name: c.Name, Customer: c.Customer}})
	}
	return t, nil
}

// Authenticate returns who token belongs to. It compares the token's hash
// with every entry in constant time and does not stop at a match.
func (t *Tokens) Authenticate(token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrAuth
	}
	h := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(h[:], t.entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrAuth
	}
	return t.entries[found].who, nil
}
