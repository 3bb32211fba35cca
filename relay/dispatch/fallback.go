package dispatch

import (
	"context"
	"time"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
)

// fallback starts the SMS/LMS leg of a message Kakao could not deliver.
func (d *Dispatcher) fallback(ctx context.Context, m *message.Message, kakaoRes message.Result) {
	// The rule the door checked the message against at acceptance, on the
	// fallback it decided then.
	product, text, r := door.FallbackLeg(*d.door.Load(), nil, m.Fallback, m.Text, m.Truncate)
	why := ""
	switch {
	case r != nil:
		why = r.Rule + ": " + r.Reason
	case product == message.ProductUnknown:
		why = "the message has no fallback"
	}
	if why == "" && m.Kakao.Ad && !door.AdSMSAllowed(d.now()) {
		why = "AD_RULE: an advertising fallback SMS is not sent between 21:00 and 08:00 (Asia/Seoul)"
	}
	if why == "" {
		// The fallback leg inherits the message's deadline.
		if late, ok := d.tooLate(m, 0); !ok {
			why = late.Reason
		}
	}
	if why != "" {
		kakaoRes.Reason += "; no fallback: " + why
		d.fail(m, kakaoRes)
		return
	}
	// The leg's product and exact text are written in the write that
	// queues it: after a restart, the bytes sent are the bytes decided.
	// The record keeps the text of its current leg; the Kakao leg is over.
	attempts := m.Attempts
	if err := d.st.Advance(ctx, m.ID, m.State, path(m.State, message.StateKakaoSending, message.StateQueued), func(r *message.Message) {
		r.Leg++
		r.Billed, r.Text = product, text
		r.Result = kakaoRes // kept with the Kakao leg (store legs table)
		r.Carrier, r.CarrierMsgID, r.SentAt = "", "", time.Time{}
		r.Attempts = max(r.Attempts, attempts)
	}); err != nil {
		d.storeTrouble(m, "fallback", err)
		return
	}
	d.drained.Add(1) // the Kakao leg left; the fallback leg joins the backlog
	c := *m
	c.State, c.Leg, c.Billed, c.Text = message.StateQueued, m.Leg+1, product, text
	c.Attempts = max(c.Attempts, attempts)
	d.Enqueue(&c)
}
