// Package dispatch takes accepted messages to their final result: it routes
// each to a carrier's SMPP binds or to Kakao, sends it, acts on the answer
// (retry, fall back, finish), correlates the carriers' receipts with the
// messages they belong to, and expires what never gets a result.
//
//	store ──▶ Dispatcher ──▶ route ──▶ carrier binds ──▶ SMSCs
//	  ▲            └──────▶ Kakao leg ──▶ BizMessage API
//	  └── correlator ◀── deliver_sm
//
// It depends on the store, the domain model, the routing rules and the two
// protocol clients (smpp, kakaobiz), nothing else: where a carrier or Kakao
// is reached is the Dialer's business, which the composition root chooses
// (the in-process simulators of the dev configuration come in that way).
//
// Nothing here is the only copy of a message: every message in a queue is
// durable in the store, so a crash loses queue positions, never messages.
package dispatch
