// Package customer holds the relay's customers (고객사): who they are, how
// they authenticate, what they may send and from which numbers, and how fast.
//
// # Registry
//
// [Registry] is read on every submit and written rarely (an operator adds a
// sender number, suspends a customer). Reads are lock-free: the registry
// publishes an immutable snapshot through an atomic pointer, and a writer
// builds a new snapshot (copy-on-write) under a mutex and swaps it in, so a
// change takes effect for the very next message without a restart. A
// [*Customer] handed out by the registry is never modified afterwards; a
// change produces a new value.
//
// Before a change is published the registry calls its [Observer], so the
// daemon can persist it; if the observer fails, nothing changes.
//
// # Secrets
//
// A customer's secret is stored only as a PBKDF2-HMAC-SHA256 hash with a
// per-customer random salt, in the form
//
//	pbkdf2-sha256$<iterations>$<salt, base64 raw std>$<key, base64 raw std>
//
// PBKDF2 is in the standard library (crypto/pbkdf2), is FIPS-approved, and
// costs an attacker who steals the configuration the full iteration count per
// guess even if an operator chose a weak secret; SHA-256 alone would be safe
// only for secrets the relay generated itself. Authentication happens once
// per bind, not per message, so its cost is paid rarely (about 25 ms of one
// core at [DefaultIterations]). The comparison is constant time, and an
// unknown customer id costs the same work as a wrong secret and returns the
// same error ([ErrAuth]), so neither timing nor the answer reveals which ids
// exist.
//
// A customer's [Customer.LogValue] (and its String, for fmt) omits the hash;
// the plain secret is never kept at all.
package customer
