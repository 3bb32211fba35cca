package admin

import (
	"fmt"
	"net/http"

	"github.com/msgrelay/relay/relay/payment"
)

// subscription returns the MID's subscription if who may see it, else
// answers 404 (another customer's MID does not exist for a customer token).
func (s *Server) subscription(w http.ResponseWriter, r *http.Request, who Principal) (*payment.Subscription, bool) {
	if s.opts.Payments == nil {
		writeError(w, http.StatusNotFound, "payment AlimTalk is not configured")
		return nil, false
	}
	sub := s.opts.Payments.Get(r.PathValue("mid"))
	if sub == nil || !who.may(sub.Customer) {
		writeError(w, http.StatusNotFound, "no such MID")
		return nil, false
	}
	return sub, true
}

func (s *Server) listPayments(w http.ResponseWriter, r *http.Request, who Principal) {
	if s.opts.Payments == nil {
		writeJSON(w, http.StatusOK, map[string]any{"subscriptions": []any{}})
		return
	}
	c := r.URL.Query().Get("customer")
	if !who.Operator() {
		if c != "" && c != who.Customer {
			writeError(w, http.StatusForbidden, "this token may not see customer "+c)
			return
		}
		c = who.Customer
	}
	subs := s.opts.Payments.All()
	if c != "" {
		subs = s.opts.Payments.ForCustomer(c)
	}
	if subs == nil {
		subs = []*payment.Subscription{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": subs})
}

func (s *Server) getPayment(w http.ResponseWriter, r *http.Request, who Principal) {
	if sub, ok := s.subscription(w, r, who); ok {
		writeJSON(w, http.StatusOK, sub)
	}
}

func (s *Server) putPayment(w http.ResponseWriter, r *http.Request, who Principal) {
	if !who.Operator() {
		writeError(w, http.StatusForbidden, "only operators change payment subscriptions")
		return
	}
	if s.opts.Payments == nil {
		writeError(w, http.StatusNotFound, "payment AlimTalk is not configured")
		return
	}
	var sub payment.Subscription
	if err := readJSON(r, &sub); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	mid := r.PathValue("mid")
	if sub.MID == "" {
		sub.MID = mid
	}
	if sub.MID != mid {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("body MID %q differs from path MID %q", sub.MID, mid))
		return
	}
	s.change(w, r, who, "payment.put", mid, "customer "+sub.Customer,
		func() error { return s.opts.Payments.Put(sub) },
		func() { writeJSON(w, http.StatusOK, s.opts.Payments.Get(mid)) })
}

func (s *Server) removePayment(w http.ResponseWriter, r *http.Request, who Principal) {
	if !who.Operator() {
		writeError(w, http.StatusForbidden, "only operators change payment subscriptions")
		return
	}
	if _, ok := s.subscription(w, r, who); !ok {
		return
	}
	mid := r.PathValue("mid")
	s.change(w, r, who, "payment.remove", mid, "",
		func() error { return s.opts.Payments.Remove(mid) },
		func() { w.WriteHeader(http.StatusNoContent) })
}

func (s *Server) addRecipient(w http.ResponseWriter, r *http.Request, who Principal) {
	if _, ok := s.subscription(w, r, who); !ok {
		return
	}
	var body struct {
		Number string `json:"number"`
	}
	if err := readJSON(r, &body); err != nil || body.Number == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want {\"number\": \"...\"} (%v)", err))
		return
	}
	mid := r.PathValue("mid")
	s.change(w, r, who, "payment.recipient.add", mid, body.Number,
		func() error { return s.opts.Payments.AddRecipient(mid, body.Number) },
		func() { writeJSON(w, http.StatusOK, s.opts.Payments.Get(mid)) })
}

func (s *Server) removeRecipient(w http.ResponseWriter, r *http.Request, who Principal) {
	if _, ok := s.subscription(w, r, who); !ok {
		return
	}
	mid, num := r.PathValue("mid"), r.PathValue("number")
	s.change(w, r, who, "payment.recipient.remove", mid, num,
		func() error { return s.opts.Payments.RemoveRecipient(mid, num) },
		func() { writeJSON(w, http.StatusOK, s.opts.Payments.Get(mid)) })
}
