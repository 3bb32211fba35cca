package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// MessageView is a message as the API shows it.
type MessageView struct {
	ID         string     `json:"id"`
	Customer   string     `json:"customer"`
	ClientRef  string     `json:"client_ref,omitempty"`
	Product    string     `json:"product"`
	Ingress    string     `json:"ingress"`          // the door it came in by: upstream, smpp or http
	Billed     string     `json:"billed,omitempty"` // the product billed on delivery
	State      string     `json:"state"`
	Final      bool       `json:"final"`
	Sender     string     `json:"sender,omitempty"`
	Recipient  string     `json:"recipient"`      // masked for operators
	Text       string     `json:"text,omitempty"` // customers only
	Attempts   uint32     `json:"attempts"`
	Leg        uint8      `json:"leg"` // 1: the SMS/LMS fallback of a Kakao message
	Result     *Result    `json:"result,omitempty"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	FinalAt    *time.Time `json:"final_at,omitempty"`
}

// Result is a message's result.
type Result struct {
	Source string `json:"source"`
	Code   string `json:"code"`
	Reason string `json:"reason,omitempty"`
}

func viewOf(m *message.Message, who Principal) MessageView {
	v := MessageView{
		ID: m.ID.String(), Customer: m.Customer, ClientRef: m.ClientRef,
		Product: m.Product.String(), Ingress: m.Ingress.String(), State: m.State.String(), Final: m.State.Final(),
		Sender: m.Sender, Recipient: m.Recipient, Text: m.Text,
		Attempts: m.Attempts, Leg: m.Leg,
		AcceptedAt: timePtr(m.AcceptedAt), SentAt: timePtr(m.SentAt), FinalAt: timePtr(m.FinalAt),
	}
	if m.Billed != message.ProductUnknown {
		v.Billed = m.Billed.String()
	}
	if m.Result.Source != message.SourceNone || m.Result.Code != "" {
		v.Result = &Result{Source: m.Result.Source.String(), Code: m.Result.Code, Reason: m.Result.Reason}
	}
	if who.Operator() {
		v.Recipient = MaskNumber(m.Recipient)
		v.Text = ""
	}
	return v
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(kst)
	return &t
}

// MaskNumber hides the middle of a phone number: 01012345678 →
// 010****5678. Numbers shorter than 8 digits keep only their last 2.
func MaskNumber(n string) string {
	if n == "" {
		return ""
	}
	b := []byte(n)
	if len(b) < 8 {
		for i := 0; i < len(b)-2; i++ {
			b[i] = '*'
		}
		return string(b)
	}
	for i := 3; i < len(b)-4; i++ {
		b[i] = '*'
	}
	return string(b)
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, who Principal) {
	id, err := message.ParseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "message id must be 16 hex digits")
		return
	}
	m, err := s.opts.Store.Get(id)
	if err != nil || !who.may(m.Customer) {
		// Another customer's message answers as if it did not exist.
		writeError(w, http.StatusNotFound, "no such message")
		return
	}
	writeJSON(w, http.StatusOK, viewOf(m, who))
}

// Query is a message search.
type Query struct {
	Customer  string
	ClientRef string
	Recipient string
	From, To  time.Time
	State     message.State // StateUnknown: any
	Limit     int
}

// find runs a query for who. Customer scoping is checked by the caller.
func (s *Server) find(q Query) ([]*message.Message, error) {
	if q.ClientRef != "" {
		m, err := s.opts.Store.ByClientRef(q.Customer, q.ClientRef)
		if err != nil {
			return nil, nil // not found is an empty answer
		}
		return []*message.Message{m}, nil
	}
	// Fetch up to the result cap and filter by state, then cut to limit.
	fetch := s.opts.Config.maxResults()
	var ids []message.ID
	var err error
	if q.Recipient != "" {
		ids, err = s.opts.Store.ByRecipient(q.Customer, normalize(q.Recipient), q.From, q.To, fetch)
	} else {
		ids, err = s.opts.Store.ByTime(q.Customer, q.From, q.To, fetch)
	}
	if err != nil {
		return nil, err
	}
	out := make([]*message.Message, 0, min(len(ids), q.Limit))
	for _, id := range ids {
		m, err := s.opts.Store.Get(id)
		if err != nil {
			continue // purged between the index read and now
		}
		if m.Customer != q.Customer || (q.State != message.StateUnknown && m.State != q.State) {
			continue
		}
		out = append(out, m)
		if len(out) == q.Limit {
			break
		}
	}
	return out, nil
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

// parseQuery reads a search from URL values; the customer defaults to a
// customer token's own.
func (s *Server) parseQuery(r *http.Request, who Principal) (Query, int, error) {
	v := r.URL.Query()
	q := Query{Customer: v.Get("customer"), ClientRef: v.Get("client_ref"), Recipient: v.Get("recipient")}
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
	if q.Limit, err = s.limit(v.Get("limit")); err != nil {
		return q, http.StatusBadRequest, err
	}
	return q, 0, nil
}

func (s *Server) findMessages(w http.ResponseWriter, r *http.Request, who Principal) {
	q, code, err := s.parseQuery(r, who)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	msgs, err := s.find(q)
	if err != nil {
		s.log.Error("message lookup failed", "customer", q.Customer, "err", err)
		writeError(w, http.StatusInternalServerError, "lookup failed")
		return
	}
	views := make([]MessageView, len(msgs))
	for i, m := range msgs {
		views[i] = viewOf(m, who)
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": views, "count": len(views)})
}
