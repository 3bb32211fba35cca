package door

import (
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// MinSendWindow is the least time a scheduled message must have between
// its send time and its deadline: less would leave it to expire unsent,
// or with no time for its receipt.
const MinSendWindow = time.Minute

// checkTimes checks a request's own schedule (NotBefore) and validity
// (Expires), at acceptance now, against the relay's validity: the
// message's deadline is the earlier of now + validity and Expires, and it
// must be sent at least MinSendWindow before it. An Expires beyond the
// 48-hour window (Art. 5-3) is refused, not shortened, since the submitter
// asked for something the relay cannot promise; one between the relay's
// validity and 48 hours is held to the relay's. A NotBefore already past
// is sent at once.
func checkTimes(req *Request, now time.Time, validity time.Duration) *Refusal {
	if !req.Expires.IsZero() {
		switch {
		case !req.Expires.After(now):
			expires := stamp(req.Expires)
			return refuse(RuleInvalidRequest, expires, stamp(now),
				"the validity ends at %s, not after its acceptance", expires).about("validity")
		case req.Expires.After(now.Add(message.ResultWindow)):
			expires := stamp(req.Expires)
			return refuse(RuleInvalidRequest, expires, message.ResultWindow.String(),
				"the validity ends at %s, beyond the %v result window", expires, message.ResultWindow).about("validity")
		}
	}
	deadline := message.DeadlineOf(now, validity, req.Expires)
	if req.NotBefore.After(deadline.Add(-MinSendWindow)) {
		sendAt, due := stamp(req.NotBefore), stamp(deadline)
		return refuse(RuleInvalidRequest, sendAt, due,
			"scheduled for %s, later than %v before its deadline %s", sendAt, MinSendWindow, due).about("schedule")
	}
	return nil
}

// stamp is how a refusal names a time: UTC, RFC 3339.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
