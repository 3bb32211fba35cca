package httpapi

import (
	"net/http"
	"time"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
)

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, customer string) {
	id, err := message.ParseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, Error{Rule: door.RuleInvalidRequest, Field: "id",
			Reason: "a message id is 16 hex digits"})
		return
	}
	m, err := s.opts.Messages.Get(id)
	if err != nil || m.Customer != customer {
		// Another customer's message answers as if it did not exist.
		writeError(w, http.StatusNotFound, Error{Rule: "NOT_FOUND", Field: "id", Value: r.PathValue("id"),
			Reason: "no such message"})
		return
	}
	writeJSON(w, http.StatusOK, viewOf(m))
}

func viewOf(m *message.Message) *MessageView {
	v := &MessageView{
		ID: m.ID.String(), IdempotencyKey: m.ClientRef, Ingress: m.Ingress.String(),
		Product: m.Product.String(), State: m.State.String(), Final: m.State.Final(),
		AcceptedAt: m.AcceptedAt.UTC(), SendAt: timePtr(m.NotBefore), Deadline: timePtr(m.Deadline),
		FinalAt: timePtr(m.FinalAt), Legs: legsOf(m),
	}
	if m.Billed != message.ProductUnknown {
		v.Billed = m.Billed.String()
	}
	if m.State.Final() {
		v.Result = &FinalResult{Source: m.Result.Source.String(), Code: m.Result.Code, Reason: m.Result.Reason}
	}
	return v
}

// legsOf derives the legs from the record: a Kakao message's Kakao leg,
// then, on leg 1, the SMS/LMS fallback; an SMS/LMS has its one SMPP leg.
func legsOf(m *message.Message) []Leg {
	cur := Leg{Channel: "smpp", Product: m.Product.String(), Carrier: m.Carrier,
		State: legState(m.State), Attempts: m.Attempts, SentAt: timePtr(m.SentAt)}
	if !m.Product.Kakao() {
		return []Leg{cur}
	}
	if m.Leg == 0 {
		cur.Channel, cur.Carrier = "kakao", ""
		return []Leg{cur}
	}
	// The fallback leg: the product it is billed as once delivered, or
	// else what the customer asked for.
	cur.Product = m.Fallback.String()
	if m.Billed != message.ProductUnknown {
		cur.Product = m.Billed.String()
	}
	return []Leg{{Channel: "kakao", Product: m.Product.String(), State: "fell_back"}, cur}
}

func legState(s message.State) string {
	switch s {
	case message.StateAccepted, message.StateQueued:
		return "pending"
	case message.StateSending, message.StateKakaoSending:
		return "sending"
	case message.StateSent, message.StateKakaoSent:
		return "sent"
	}
	return s.String() // delivered, failed, expired
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
