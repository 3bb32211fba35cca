package admin

import (
	"fmt"
	"net/http"

	"github.com/msgrelay/relay/relay/customer"
)

// CustomerView is a customer as the API shows it.
type CustomerView struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Suspended     bool     `json:"suspended"`
	SuspendReason string   `json:"suspend_reason,omitempty"`
	EndDate       string   `json:"end_date,omitempty"` // the contract's last day
	Products      []string `json:"products"`
	Senders       []string `json:"senders"`
	// Numbers are the senders with their registration records.
	Numbers    []customer.Registration `json:"numbers"`
	SenderKeys []string                `json:"sender_keys"`
}

// scope checks that who may act on the customer in the path; operatorOnly
// refuses customer tokens.
func scope(w http.ResponseWriter, r *http.Request, who Principal, operatorOnly bool) (string, bool) {
	id := r.PathValue("customer")
	if !who.may(id) || (operatorOnly && !who.Operator()) {
		writeError(w, http.StatusForbidden, "this token may not do that for customer "+id)
		return "", false
	}
	return id, true
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, false)
	if !ok {
		return
	}
	c := s.opts.Customers.Get(id)
	if c == nil {
		writeError(w, http.StatusNotFound, "no such customer")
		return
	}
	writeJSON(w, http.StatusOK, customerView(c))
}

// change runs fn, audits it and answers: the customer view on success.
func (s *Server) change(w http.ResponseWriter, r *http.Request, who Principal, action, target, detail string, fn func() error, ok func()) {
	err := fn()
	if aerr := s.audit(r, who, action, target, detail, err); aerr != nil {
		writeError(w, http.StatusInternalServerError, "audit log unavailable: "+aerr.Error())
		return
	}
	if err != nil {
		writeError(w, changeStatus(err), err.Error())
		return
	}
	ok()
}

func (s *Server) suspend(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &body); err != nil || body.Reason == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want {\"reason\": \"...\"} (%v)", err))
		return
	}
	s.change(w, r, who, "customer.suspend", id, body.Reason,
		func() error { return s.opts.Customers.Suspend(id, body.Reason) },
		func() { s.getCustomer(w, r, who) })
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	s.change(w, r, who, "customer.resume", id, "",
		func() error { return s.opts.Customers.Resume(id) },
		func() { s.getCustomer(w, r, who) })
}

func (s *Server) addSender(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	var body struct {
		Number string `json:"number"`
		Proof  string `json:"proof"` // reference of the 통신서비스 이용증명원
	}
	if err := readJSON(r, &body); err != nil || body.Number == "" || body.Proof == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want {\"number\": \"...\", \"proof\": \"<proof document reference>\"} (%v)", err))
		return
	}
	reg := customer.Registration{Number: body.Number, AddedBy: who.Name, AddedAt: s.now().UTC(), Proof: body.Proof}
	s.change(w, r, who, "sender.add", id, body.Number+" proof "+body.Proof,
		func() error { return s.opts.Customers.RegisterSender(id, reg) },
		func() { s.getCustomer(w, r, who) })
}

func (s *Server) removeSender(w http.ResponseWriter, r *http.Request, who Principal) {
	id, ok := scope(w, r, who, true)
	if !ok {
		return
	}
	num := r.PathValue("number")
	s.change(w, r, who, "sender.remove", id, num,
		func() error { return s.opts.Customers.RemoveSender(id, num) },
		func() { s.getCustomer(w, r, who) })
}
