package admin

import (
	"context"
	"fmt"
	"net/http"
)

// Purger removes all of one customer's data (contract end, Art. 10-2),
// billing counters included: produce and keep the final statements first.
// *store.Store implements it.
type Purger interface {
	PurgeCustomer(ctx context.Context, customer string) (int, error)
}

// purgeCustomer handles POST /api/v1/customers/{customer}/purge, operators
// only. The body must repeat the customer id, {"confirm": "<id>"}, so that
// a mistyped path cannot erase the wrong customer's data.
func (s *Server) purgeCustomer(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	p, ok := s.opts.Store.(Purger)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this store cannot purge")
		return
	}
	var body struct {
		Confirm string `json:"confirm"`
	}
	if err := readJSON(r, &body); err != nil || body.Confirm != id {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want {\"confirm\": %q} (%v)", id, err))
		return
	}
	var n int
	s.change(w, r, who, "customer.purge", id, "",
		func() error {
			var err error
			n, err = p.PurgeCustomer(r.Context(), id)
			return err
		},
		func() { writeJSON(w, http.StatusOK, map[string]any{"customer": id, "purged": n}) })
}
