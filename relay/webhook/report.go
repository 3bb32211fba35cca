package webhook

import (
	"encoding/json"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// Report is the JSON body of a delivery.
type Report struct {
	Type           string     `json:"type"` // "message.final"
	MessageID      string     `json:"message_id"`
	IdempotencyKey string     `json:"idempotency_key,omitempty"`
	Product        string     `json:"product"`
	State          string     `json:"state"`            // delivered, failed or expired
	Billed         string     `json:"billed,omitempty"` // the product billed, when delivered
	Result         Result     `json:"result"`
	AcceptedAt     time.Time  `json:"accepted_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	FinalAt        time.Time  `json:"final_at"`
}

// Result is the final result as the channel that decided it gave it.
type Result struct {
	Source string `json:"source"`
	Code   string `json:"code"`
	Reason string `json:"reason,omitempty"`
}

// IDOf is the Webhook-Id of a report: the same on every attempt and after
// a restart, since a message has one final report.
func IDOf(id message.ID) string { return "rpt_" + id.String() }

func encodeReport(r *store.Report) []byte {
	v := Report{
		Type: "message.final", MessageID: r.ID.String(), IdempotencyKey: r.ClientRef,
		Product: r.Product.String(), State: r.State.String(),
		Result:     Result{Source: r.Result.Source.String(), Code: r.Result.Code, Reason: r.Result.Reason},
		AcceptedAt: r.AcceptedAt.UTC(), FinalAt: r.FinalAt.UTC(),
	}
	if v.AcceptedAt.IsZero() {
		v.AcceptedAt = r.ID.Time() // ids are time-ordered
	}
	if r.Billed != message.ProductUnknown {
		v.Billed = r.Billed.String()
	}
	if !r.SentAt.IsZero() {
		t := r.SentAt.UTC()
		v.SentAt = &t
	}
	b, _ := json.Marshal(&v) // nothing in a Report fails to encode
	return b
}
