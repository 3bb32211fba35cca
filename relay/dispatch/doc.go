// Package dispatch takes accepted messages to their final result: it routes
// each to a carrier's SMPP binds or to Kakao, sends it, acts on the answer
// (retry, fall back, finish), correlates the carriers' receipts with the
// messages they belong to, and expires what never gets a result.
//
//	store ──▶ Dispatcher ──▶ route ──▶ carrier binds ──▶ SMSCs
//	  ▲            └──────▶ Kakao leg ──▶ BizMessage API
//	  └── correlator ◀── deliver_sm
//
// A message travels in legs: a Kakao message's Kakao leg, then, if Kakao
// cannot deliver it, the SMS/LMS fallback leg the door decided at
// acceptance (door.FallbackLeg); an SMS or LMS has one leg. Every leg is
// the same to the lifecycle: it sends, records an answer that is a result,
// and classifies any other answer into a verdict. One policy (policy.go)
// acts on the verdict for every leg: retry after a backoff between
// retry_min and retry_max while the leg has max_attempts left, hand the
// message to its next leg, or fail it; and no attempt starts, nor a
// fallback leg, when the deadline set at acceptance is too close.
//
// It depends on the store, the domain model, the routing rules and the two
// protocol clients (smpp, kakaobiz), nothing else: where a carrier or Kakao
// is reached is the Dialer's business, which the composition root chooses
// (the in-process simulators of the dev configuration come in that way).
//
// Nothing here is the only copy of a message: every message in a queue is
// durable in the store, so a crash loses queue positions, never messages.
package dispatch
