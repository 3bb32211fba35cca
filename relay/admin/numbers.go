package admin

import (
	"fmt"
	"net/http"

	"github.com/msgrelay/relay/relay/customer"
)

// Sender numbers belong to one owner: registering one records who, when
// and the proof document's reference; a number of another customer needs
// an operator's shared mark first (audited); the representative number is
// reserved.

// numbers lists c's sender numbers with their registration records.
func numbers(c *customer.Customer) []customer.Registration {
	out := make([]customer.Registration, 0, len(c.Senders))
	for _, n := range c.Senders {
		out = append(out, c.Registration(n))
	}
	return out
}

// markShared marks a sender number shared or not: POST
// /api/v1/senders/{number}/shared {"shared": true, "reason": "..."}.
func (s *Server) markShared(w http.ResponseWriter, r *http.Request, who Principal) {
	if !who.Operator() {
		writeError(w, http.StatusForbidden, "only operators mark numbers shared")
		return
	}
	num := r.PathValue("number")
	var body struct {
		Shared *bool  `json:"shared"`
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &body); err != nil || body.Shared == nil || body.Reason == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want {\"shared\": true|false, \"reason\": \"...\"} (%v)", err))
		return
	}
	s.change(w, r, who, "sender.shared", num, fmt.Sprintf("shared=%v: %s", *body.Shared, body.Reason),
		func() error { return s.opts.Customers.MarkShared(num, *body.Shared) },
		func() { writeJSON(w, http.StatusOK, map[string]any{"number": num, "shared": *body.Shared}) })
}

// numbersPage lists the customer's sender numbers with who registered
// each, when, and its proof document's reference.
func (s *Server) numbersPage(w http.ResponseWriter, r *http.Request, who Principal) {
	type row struct{ Number, By, At, Proof, Shared string }
	d := struct {
		Who      Principal
		Customer string
		Numbers  []row
		Error    string
	}{Who: who, Customer: who.Customer}
	if who.Operator() {
		d.Customer = r.URL.Query().Get("customer")
	}
	if c := s.opts.Customers.Get(d.Customer); c != nil {
		for _, n := range numbers(c) {
			rw := row{Number: n.Number, By: n.AddedBy, At: "—", Proof: n.Proof}
			if !n.AddedAt.IsZero() {
				rw.At = n.AddedAt.In(kst).Format("2006-01-02 15:04")
			}
			if rw.Proof == "" {
				rw.Proof = "—"
			}
			if n.Shared {
				rw.Shared = "shared"
			}
			d.Numbers = append(d.Numbers, rw)
		}
	} else if d.Customer != "" {
		d.Error = "고객이 없습니다."
	}
	s.render(w, http.StatusOK, "numbers.html", d)
}
