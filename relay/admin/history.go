package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// A page of history reads at most historyScan index entries, so a filter
// that matches little answers a short page with a cursor instead of
// reading a merchant's whole window in one request; totals are counted up
// to historyCount index keys.
const (
	historyScan  = 50_000
	historyCount = 100_000
)

// Query is a message search: a customer's messages accepted in [From, To),
// newest first, every filter applied before the page is cut.
type Query struct {
	Customer  string
	ClientRef string
	Recipient string
	Sender    string
	From, To  time.Time
	State     message.State   // StateUnknown: any
	Product   message.Product // ProductUnknown: any; matches the product sent or billed
	Before    message.ID      // next page: older than this id
	After     message.ID      // previous page: newer than this id
	Limit     int
}

// Page is one page of a search.
type Page struct {
	Messages     []*message.Message // newest first
	Older, Newer message.ID         // cursors; 0: no such page
	Total        int                // all matches; -1: not counted
}

// match applies the record filters; the index read applies the customer,
// the recipient and the dates.
func (q *Query) match(m *message.Message) bool {
	return m.Customer == q.Customer &&
		(q.State == message.StateUnknown || m.State == q.State) &&
		(q.Product == message.ProductUnknown || m.Product == q.Product || m.Billed == q.Product) &&
		(q.Sender == "" || m.Sender == q.Sender)
}

// recordFilters reports whether the query filters records, beyond the
// index it reads: then the total would cost a scan, and is not given.
func (q *Query) recordFilters() bool {
	return q.State != message.StateUnknown || q.Product != message.ProductUnknown || q.Sender != ""
}

// find runs a query. Customer scoping is checked by the caller.
func (s *Server) find(q Query) (Page, error) {
	if q.ClientRef != "" {
		m, err := s.opts.Store.ByClientRef(q.Customer, q.ClientRef)
		if err != nil || !q.match(m) {
			return Page{Total: 0}, nil // not found is an empty answer
		}
		return Page{Messages: []*message.Message{m}, Total: 1}, nil
	}
	p, err := s.opts.Store.History(store.HistoryQuery{
		Customer: q.Customer, Recipient: q.Recipient, From: q.From, To: q.To,
		Match: q.match, Before: q.Before, After: q.After, Limit: q.Limit, Scan: historyScan,
	})
	if err != nil {
		return Page{}, err
	}
	return Page{Messages: p.Messages, Older: p.Older, Newer: p.Newer, Total: -1}, nil
}

// findCounted is find with the total, when counting is cheap.
func (s *Server) findCounted(q Query) (Page, error) {
	p, err := s.find(q)
	if err != nil || q.ClientRef != "" || q.recordFilters() {
		return p, err
	}
	if n, exact, err := s.opts.Store.CountHistory(q.Customer, q.Recipient, q.From, q.To, historyCount); err == nil && exact {
		p.Total = n
	}
	return p, nil
}

// parseQuery reads a search from URL values; the customer defaults to a
// customer token's own.
func (s *Server) parseQuery(r *http.Request, who Principal) (Query, int, error) {
	v := r.URL.Query()
	q := Query{Customer: v.Get("customer"), ClientRef: v.Get("client_ref"),
		Recipient: normalize(v.Get("recipient")), Sender: normalize(v.Get("sender"))}
	if q.Customer == "" {
		q.Customer = who.Customer
	}
	if q.Customer == "" {
		return q, http.StatusBadRequest, errors.New("customer is required")
	}
	if !who.may(q.Customer) {
		return q, http.StatusForbidden, ErrForbidden
	}
	var err error
	if q.From, q.To, err = s.timeRange(v.Get("from"), v.Get("to")); err != nil {
		return q, http.StatusBadRequest, err
	}
	if st := v.Get("state"); st != "" {
		if q.State, err = message.ParseState(st); err != nil {
			return q, http.StatusBadRequest, err
		}
	}
	if p := v.Get("product"); p != "" {
		if q.Product, err = message.ParseProduct(p); err != nil || q.Product == message.ProductAuto {
			return q, http.StatusBadRequest, fmt.Errorf("product %q: want one of sms, lms, alimtalk, friendtalk_text, friendtalk_image, payment_alimtalk", p)
		}
	}
	for name, id := range map[string]*message.ID{"before": &q.Before, "after": &q.After} {
		if c := v.Get(name); c != "" {
			if *id, err = message.ParseID(c); err != nil {
				return q, http.StatusBadRequest, fmt.Errorf("%s %q: want a message id (16 hex digits) from next or prev", name, c)
			}
		}
	}
	if q.Limit, err = s.limit(v.Get("limit")); err != nil {
		return q, http.StatusBadRequest, err
	}
	return q, 0, nil
}

func normalize(n string) string {
	b := make([]byte, 0, len(n))
	for i := 0; i < len(n); i++ {
		if n[i] != '-' && n[i] != ' ' {
			b = append(b, n[i])
		}
	}
	return string(b)
}

// historyAnswer is the JSON of a search: next and prev are the before and
// after cursors of the neighbouring pages, absent at either end; total
// is absent when counting would cost a scan (state, product or sender
// filters).
type historyAnswer struct {
	Messages []MessageView `json:"messages"`
	Count    int           `json:"count"`
	Next     string        `json:"next,omitempty"`
	Prev     string        `json:"prev,omitempty"`
	Total    *int          `json:"total,omitempty"`
}

func answerOf(p Page, who Principal) historyAnswer {
	a := historyAnswer{Messages: make([]MessageView, len(p.Messages)), Count: len(p.Messages)}
	for i, m := range p.Messages {
		a.Messages[i] = viewOf(m, who)
	}
	if p.Older != 0 {
		a.Next = p.Older.String()
	}
	if p.Newer != 0 {
		a.Prev = p.Newer.String()
	}
	if p.Total >= 0 {
		a.Total = &p.Total
	}
	return a
}

func (s *Server) findMessages(w http.ResponseWriter, r *http.Request, who Principal) {
	q, code, err := s.parseQuery(r, who)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		s.writeHistoryCSV(w, q, who)
		return
	}
	p, err := s.findCounted(q)
	if err != nil {
		s.log.Error("message lookup failed", "customer", q.Customer, "err", err)
		writeError(w, http.StatusInternalServerError, "lookup failed")
		return
	}
	writeJSON(w, http.StatusOK, answerOf(p, who))
}
