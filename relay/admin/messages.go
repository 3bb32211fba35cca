package admin

import (
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
