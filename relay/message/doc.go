// Package message is the relay's domain model: the products it carries, the
// states a message moves through, the final results it reports and bills, and
// the identifiers that name a message. It does no I/O; every other package of
// the relay (the store, the daemon, the protocol adapters) points inward to it.
//
// # States
//
// One message has one life, drawn here once and enforced by [CheckTransition]:
//
//	                 ┌──────────────► failed / expired (final)
//	accepted ─► queued ─► sending ─► sent ─► delivered (final)
//	               ▲  │      │  (retryable: back to queued)
//	               │  │      └──► queued
//	               │  └─► kakao-sending ─► kakao-sent ─► delivered
//	               │          │                │
//	               └──────────┴────────────────┘  fallback: a new SMS/LMS leg
//
// A Kakao leg that cannot deliver goes back to queued as a new SMPP leg of the
// same message (the fallback); the message keeps its id, its client reference
// and its single final result, and it is billed once, under the product that
// delivered it.
package message
