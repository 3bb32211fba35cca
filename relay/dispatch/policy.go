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
	return d.tooLateAt(m, after, d.now())
}

// tooLateAt is tooLate at the given time.
func (d *Dispatcher) tooLateAt(m *message.Message, after time.Duration, now time.Time) (message.Result, bool) {
	left := d.deadline(m).Sub(now) - after
	if left >= minLeft {
		return message.Result{}, true
	}
	return message.Result{Source: message.SourceRelay, Code: "deadline",
		Reason: "too little time left before the deadline (validity " + d.deadline(m).Sub(m.AcceptedAt).String() +
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

// verdict is what a leg makes of the answer to one attempt; the policy
// acts on it the same way for every leg (settle).
type verdict uint8

const (
	verdictSent      verdict = iota + 1 // the peer took it; the leg recorded the answer
	verdictRetry                        // transient: try again after a backoff, counted
	verdictBusy                         // the peer is busy: try again later, not counted
	verdictReroute                      // nothing was sent: route again now
	verdictFail                         // permanent: the message fails with this result
	verdictFallBack                     // this leg cannot deliver it: the next leg, if any
	verdictAbandoned                    // shutting down: leave it to recovery
)

// lifecycle is what a leg asks of the policy: whether an attempt may
// start, what to do with the verdict on it, and where a store failure on
// its own writes is reported. The Dispatcher is the only implementation;
// a leg knows nothing else of it.
type lifecycle interface {
	mayAttempt(ctx context.Context, m *message.Message) bool
	settle(ctx context.Context, m *message.Message, v verdict, res message.Result, back *delay)
	storeTrouble(m *message.Message, what string, err error)
}

// mayAttempt fails m, and reports false, when its deadline is too close
// for another attempt.
func (d *Dispatcher) mayAttempt(ctx context.Context, m *message.Message) bool {
	late, ok := d.tooLate(m, 0)
	if !ok {
		d.fail(m, late)
	}
	return ok
}

// settle acts on a leg's verdict, the same way for every leg: a transient
// answer is retried on the same leg after a backoff (into back) while the
// leg has attempts left and the deadline allows; a leg that used its
// attempts, or cannot deliver, hands the message to its next leg (a Kakao
// message's fallback), and a message with no next leg fails.
func (d *Dispatcher) settle(ctx context.Context, m *message.Message, v verdict, res message.Result, back *delay) {
	switch v {
	case verdictRetry, verdictBusy:
		counted := v == verdictRetry
		if counted && !d.attemptsLeft(m) {
			d.next(ctx, m, gaveUp(m, res))
			return
		}
		n := int(m.Attempts)
		if !counted {
			n = 1
		}
		wait := d.backoff(n)
		if late, ok := d.tooLate(m, wait); !ok {
			late.Reason += "; last answer: " + res.Reason
			d.fail(m, late)
			return
		}
		back.add(m, time.Now().Add(wait))
	case verdictReroute:
		d.Enqueue(m)
	case verdictFail:
		d.fail(m, res)
	case verdictFallBack:
		d.next(ctx, m, res)
	case verdictSent, verdictAbandoned:
		// Recorded by the leg, or left open in the store for recovery.
	}
}

// next hands m to its next leg, or fails it with res when it has none: a
// Kakao message's first leg is followed by its fallback; an SMS/LMS leg is
// the last.
func (d *Dispatcher) next(ctx context.Context, m *message.Message, res message.Result) {
	if m.Leg == 0 && m.Product.Kakao() {
		d.fallback(ctx, m, res)
		return
	}
	d.fail(m, res)
}
