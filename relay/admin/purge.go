package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Purger removes a customer's personal data at contract end (Art. 10-2)
// and keeps what billing and the sending records need; *store.Store
// implements it.
type Purger interface {
	PurgeCustomer(ctx context.Context, customer string) (purged, open int, err error)
}

// setEndDate handles POST /api/v1/customers/{customer}/end
// {"date": "YYYY-MM-DD"}, operators only: the contract's last day ("":
// it runs on). From the day after, the customer cannot send.
func (s *Server) setEndDate(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	var body struct {
		Date string `json:"date"`
	}
	if err := readJSON(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`want {"date": "YYYY-MM-DD"} (%v)`, err))
		return
	}
	s.change(w, r, who, "customer.end", id, body.Date,
		func() error { return s.opts.Customers.SetEndDate(id, body.Date) },
		func() { s.getCustomer(w, r, who) })
}

// purgeCustomer handles POST /api/v1/customers/{customer}/purge, operators
// only. The body must repeat the customer id, {"confirm": "<id>"}, so that
// a mistyped path cannot erase the wrong customer's data. The contract
// must have ended: the customer is suspended, its end date has passed, and
// the statement of every month from the end date's to the last one with
// billed messages is issued.
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
	var n, open int
	s.change(w, r, who, "customer.purge", id, "",
		func() error {
			if err := s.contractEnded(id); err != nil {
				return err
			}
			var err error
			n, open, err = p.PurgeCustomer(r.Context(), id)
			return err
		},
		func() { writeJSON(w, http.StatusOK, map[string]any{"customer": id, "purged": n, "open": open}) })
}

// contractEnded says why a customer's data may not be purged yet, or nil.
func (s *Server) contractEnded(id string) error {
	c := s.opts.Customers.Get(id)
	now := s.now()
	switch {
	case c == nil:
		return fmt.Errorf("%w: no customer %q", errState, id)
	case !c.Suspended:
		return fmt.Errorf("%w: customer %s is not suspended; a contract-end purge needs the contract ended", errState, id)
	case c.EndDate == "":
		return fmt.Errorf("%w: customer %s has no contract end date", errState, id)
	case !c.Ended(now):
		return fmt.Errorf("%w: customer %s's contract runs until %s", errState, id, c.EndDate)
	}
	end, _ := time.Parse(time.DateOnly, c.EndDate)
	last := now.In(kst).Format("2006-01")
	for m := end; m.Format("2006-01") <= last; m = time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, time.UTC) {
		month := m.Format("2006-01")
		issued, err := s.opts.Store.IssuedStatements(id, month)
		if err != nil {
			return err
		}
		if len(issued) > 0 {
			continue
		}
		counts, err := s.opts.Store.MonthCounts(id, month)
		if err != nil {
			return err
		}
		billed := false
		for _, n := range counts {
			billed = billed || n > 0
		}
		if billed || m.Format("2006-01") == c.EndDate[:7] {
			return fmt.Errorf("%w: customer %s's statement for %s is not issued; issue it before the purge", errState, id, month)
		}
	}
	return nil
}
