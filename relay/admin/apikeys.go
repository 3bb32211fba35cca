package admin

import (
	"fmt"
	"net/http"

	"github.com/msgrelay/relay/relay/customer"
)

// APIKeysView is a customer's HTTP API keys as the API shows them: the
// stored hashes and their ids, never the keys.
type APIKeysView struct {
	Customer string            `json:"customer"`
	APIKeys  []customer.APIKey `json:"api_keys"`
	Max      int               `json:"max"` // at most this many in force at once
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, false)
	if !ok {
		return
	}
	c := s.opts.Customers.Get(id)
	if c == nil {
		writeError(w, http.StatusNotFound, "no such customer")
		return
	}
	writeJSON(w, http.StatusOK, APIKeysView{Customer: id, APIKeys: c.APIKeys(), Max: customer.MaxAPIKeys})
}

// addAPIKey puts a key in force for the customer, given by its stored hash
// (relayctl new-api-key makes a key and its hash): the relay never sees
// the key itself.
func (s *Server) addAPIKey(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	var body struct {
		Hash string `json:"hash"`
	}
	if err := readJSON(r, &body); err != nil || body.Hash == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want {\"hash\": \"sha256:<64 hex digits>\"}, the api_keys entry relayctl new-api-key prints (%v)", err))
		return
	}
	detail := customer.KeyShown(body.Hash) // the audit names a key by its id, as the listing does
	if h, err := customer.CheckAPIKeyHash(body.Hash); err == nil {
		detail = h[len("sha256:"):][:12]
	}
	s.change(w, r, who, "apikey.add", id, detail,
		func() error { return s.opts.Customers.AddAPIKey(id, body.Hash) },
		func() { s.listAPIKeys(w, r, who) })
}

// revokeAPIKey takes a key out of force, named by its hash or its id.
func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	key := r.PathValue("key")
	s.change(w, r, who, "apikey.revoke", id, customer.KeyShown(key),
		func() error { _, err := s.opts.Customers.RevokeAPIKey(id, key); return err },
		func() { s.listAPIKeys(w, r, who) })
}
