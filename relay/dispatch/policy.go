package dispatch

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// The retry policy every leg follows, SMPP and Kakao alike: attempts
// bounded by max_attempts per leg, a backoff between retry_min and
// retry_max, and the message's deadline (acceptance + validity, set once
// by the store at acceptance and inherited by a fallback leg).

// minLeft is the least time before the deadline worth an attempt: with
// less, neither the answer nor a receipt could come back in time.
const minLeft = time.Second

// deadline is when m must be final.
func (d *Dispatcher) deadline(m *message.Message) time.Time { return d.st.Deadline(m) }

// tooLate returns the result that fails m when too little time is left
// before its deadline for another attempt, or ok.
func (d *Dispatcher) tooLate(m *message.Message, after time.Duration) (message.Result, bool) {
	left := d.deadline(m).Sub(d.now()) - after
	if left >= minLeft {
		return message.Result{}, true
	}
	return message.Result{Source: message.SourceRelay, Code: "deadline",
		Reason: "too little time left before the deadline (validity " + d.cfg.Validity.String() +
			" from acceptance) for another attempt"}, false
}

// attemptsLeft reports whether the current leg of m may be tried again.
// Attempts count every leg of the message; each leg may use max_attempts.
func (d *Dispatcher) attemptsLeft(m *message.Message) bool {
	return int(m.Attempts) < d.cfg.MaxAttempts*(int(m.Leg)+1)
}

func gaveUp(m *message.Message, res message.Result) message.Result {
	res.Reason = "gave up after " + strconv.Itoa(int(m.Attempts)) + " attempts: " + res.Reason
	return res
}

func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.cfg.RetryMin << min(attempt, 20)
	if b > d.cfg.RetryMax || b <= 0 {
		b = d.cfg.RetryMax
	}
	return b/2 + rand.N(b/2+1)
}

// retry puts m back after a transient failure, or fails it when its leg
// has used its attempts (counted says whether this one counts) or the
// deadline would pass first. It reports whether m was put back.
func (d *Dispatcher) retry(ctx context.Context, m *message.Message, res message.Result, counted bool, later *delay) bool {
	if counted && !d.attemptsLeft(m) {
		d.fail(ctx, m, gaveUp(m, res))
		return false
	}
	n := int(m.Attempts)
	if !counted {
		n = 1
	}
	wait := d.backoff(n)
	if late, ok := d.tooLate(m, wait); !ok {
		late.Reason += "; last answer: " + res.Reason
		d.fail(ctx, m, late)
		return false
	}
	later.add(m, time.Now().Add(wait))
	return true
}
