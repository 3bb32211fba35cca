package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/optout"
)

// The door's run-time rules: a customer's AlimTalk templates (per sender
// profile it owns) and its advertising opt-out list (080 수신거부).

// maxImport bounds an opt-out CSV import's body.
const maxImport = 32 << 20

func (s *Server) ruleRoutes(api func(string, func(http.ResponseWriter, *http.Request, Principal))) {
	api("GET /api/v1/customers/{customer}/templates", s.listTemplates)
	api("PUT /api/v1/customers/{customer}/templates/{sender_key}/{code}", s.putTemplate)
	api("DELETE /api/v1/customers/{customer}/templates/{sender_key}/{code}", s.removeTemplate)
	api("GET /api/v1/customers/{customer}/optout", s.listOptOut)
	api("POST /api/v1/customers/{customer}/optout", s.addOptOut)
	api("POST /api/v1/customers/{customer}/optout/import", s.importOptOut)
	api("DELETE /api/v1/customers/{customer}/optout/{number}", s.removeOptOut)
	api("POST /api/v1/senders/{number}/shared", s.markShared)
	s.mux.HandleFunc("GET /ui/numbers", s.pageAuth(s.numbersPage))
}

// senderKeys returns the customer's sender profiles, or answers 404.
func (s *Server) senderKeys(w http.ResponseWriter, id string) ([]string, bool) {
	if s.opts.Templates == nil {
		writeError(w, http.StatusNotFound, "AlimTalk templates are not configured")
		return nil, false
	}
	c := s.opts.Customers.Get(id)
	if c == nil {
		writeError(w, http.StatusNotFound, "no such customer")
		return nil, false
	}
	return c.SenderKeys, true
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, false)
	if !ok {
		return
	}
	keys, ok := s.senderKeys(w, id)
	if !ok {
		return
	}
	ts := s.opts.Templates.ForSenderKeys(keys...)
	if ts == nil {
		ts = []alimtalk.Template{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": ts})
}

// ownedKey checks that the path's sender profile is the customer's.
func (s *Server) ownedKey(w http.ResponseWriter, r *http.Request, who Principal) (id, key string, ok bool) {
	if id, ok = scope(w, r, who, true); !ok {
		return
	}
	keys, ok := s.senderKeys(w, id)
	if !ok {
		return
	}
	key = r.PathValue("sender_key")
	if !slices.Contains(keys, key) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("customer %s has no sender profile %q", id, key))
		return "", "", false
	}
	return id, key, true
}

func (s *Server) putTemplate(w http.ResponseWriter, r *http.Request, who Principal) {
	id, key, ok := s.ownedKey(w, r, who)
	if !ok {
		return
	}
	var t alimtalk.Template
	if err := readJSON(r, &t); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t.SenderKey, t.Code = key, r.PathValue("code")
	s.change(w, r, who, "template.put", id, key+"/"+t.Code,
		func() error { return s.opts.Templates.Put(t) },
		func() { writeJSON(w, http.StatusOK, s.opts.Templates.Get(key, t.Code)) })
}

func (s *Server) removeTemplate(w http.ResponseWriter, r *http.Request, who Principal) {
	id, key, ok := s.ownedKey(w, r, who)
	if !ok {
		return
	}
	code := r.PathValue("code")
	s.change(w, r, who, "template.remove", id, key+"/"+code,
		func() error { return s.opts.Templates.Remove(key, code) },
		func() { w.WriteHeader(http.StatusNoContent) })
}

// optOutScope checks the customer in the path; customers manage their own
// list, operators any.
func (s *Server) optOutScope(w http.ResponseWriter, r *http.Request, who Principal) (string, bool) {
	if s.opts.OptOuts == nil {
		writeError(w, http.StatusNotFound, "opt-out lists are not configured")
		return "", false
	}
	id, ok := scope(w, r, who, false)
	if ok && s.opts.Customers.Get(id) == nil {
		writeError(w, http.StatusNotFound, "no such customer")
		return "", false
	}
	return id, ok
}

// listOptOut shows the list: in full to the customer, masked to
// operators, as recipient numbers are everywhere.
func (s *Server) listOptOut(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := s.optOutScope(w, r, who)
	if !ok {
		return
	}
	nums := s.opts.OptOuts.Numbers(id)
	if who.Operator() {
		for i, n := range nums {
			nums[i] = MaskNumber(n)
		}
	}
	if nums == nil {
		nums = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": id, "count": len(nums), "numbers": nums})
}

func (s *Server) addOptOut(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := s.optOutScope(w, r, who)
	if !ok {
		return
	}
	var body struct {
		Numbers []string `json:"numbers"`
	}
	if err := readJSON(r, &body); err != nil || len(body.Numbers) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want {\"numbers\": [\"010…\", …]} (%v)", err))
		return
	}
	s.optOutChange(w, r, who, id, "optout.add", body.Numbers, s.opts.OptOuts.Add)
}

// importOptOut adds the numbers of a CSV body (first column; a header row
// and empty rows skipped).
func (s *Server) importOptOut(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := s.optOutScope(w, r, who)
	if !ok {
		return
	}
	nums, err := optout.ParseCSV(http.MaxBytesReader(w, r.Body, maxImport))
	if err != nil || len(nums) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want a CSV of numbers in its first column (%v)", err))
		return
	}
	s.optOutChange(w, r, who, id, "optout.import", nums, s.opts.OptOuts.Add)
}

func (s *Server) removeOptOut(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := s.optOutScope(w, r, who)
	if !ok {
		return
	}
	s.optOutChange(w, r, who, id, "optout.remove", []string{r.PathValue("number")}, s.opts.OptOuts.Remove)
}

func (s *Server) optOutChange(w http.ResponseWriter, r *http.Request, who Principal, id, action string, nums []string,
	fn func(string, []string) (int, error)) {
	n := 0
	detail := strconv.Itoa(len(nums)) + " numbers"
	if len(nums) == 1 {
		detail = MaskNumber(nums[0])
	}
	s.change(w, r, who, action, id, detail,
		func() (err error) { n, err = fn(id, nums); return err },
		func() { writeJSON(w, http.StatusOK, map[string]any{"customer": id, "changed": n}) })
}

// ruleStatus maps the rule registries' refusals to a status code; 0 if
// the error is not theirs.
func ruleStatus(err error) int {
	switch {
	case errors.Is(err, alimtalk.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, alimtalk.ErrConfig), errors.Is(err, optout.ErrNumber), errors.Is(err, customer.ErrReserved):
		return http.StatusBadRequest
	case errors.Is(err, customer.ErrOwned), errors.Is(err, alimtalk.ErrInUse):
		return http.StatusConflict
	}
	return 0
}
