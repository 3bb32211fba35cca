// Package httpapi is the relay's HTTP ingress: JSON over net/http beside
// the upstream protocol, with the same door, the same durable acceptance
// and the same report outbox.
//
//	POST /v1/messages        one message, or {"messages": [...]} up to Config.MaxBatch
//	GET  /v1/messages/{id}   a message's state and legs
//	GET  /v1/openapi.json    the OpenAPI 3 document (openapi.json in this directory)
//
// # Authentication
//
// Every /v1/messages request carries `Authorization: Bearer <API key>`. An
// API key is a generated token (at least 128 random bits); the relay keeps
// only its SHA-256 hash, which is enough for keys this random and keeps
// each request cheap (PBKDF2 stays for secrets people choose). Wrong keys
// go through the same authguard rules as wrong upstream secrets: past its
// burst a source is refused (429) before its key is looked up.
//
// # Idempotency
//
// Each message needs an idempotency key: the Idempotency-Key header for a
// single message, or "idempotency_key" on each item of a batch. It has the
// semantics of the upstream protocol's client_ref: a key the customer sent
// before answers with the first message's id and "duplicate": true, and
// nothing new is stored.
//
// # Answers
//
// The answer is written after the accepted messages are durable. It lists
// one result per message, in order: a message_id, or an error naming the
// door's rule, the reason, the field, the measured value and the limit.
// A batch answers 200 whatever its items' fates; a single message answers
// with the status of its rule (see [Status]). Temporary conditions
// (THROTTLED, STORE_UNAVAILABLE, SHUTTING_DOWN) carry retry_after_ms, and
// Retry-After on a single message.
package httpapi
