// Package authguard decides, before a secret is checked, whether the check
// may happen now; and it remembers how the checks went. The upstream binds,
// the admin API's tokens and the merchant pages' sign-in all go through a
// [Guard], so the same rules hold at every door:
//
//   - A source is one IPv4 address or one IPv6 /64 ([Source]): an attacker
//     holding a whole /64 counts once.
//   - Failures count per (account, source). Beyond FailBurst, that pair is
//     refused before any secret is checked until the bucket refills at
//     FailRate. Another account at the same source is not affected: one
//     customer's wrong secrets never lock out another.
//   - Failures also count per account over all sources (AccountFailRate,
//     AccountFailBurst), so guessing one account's secret from many
//     addresses is throttled too. This throttle refuses only sources that
//     have not recently succeeded for that account: a customer's known
//     sources keep binding while someone else guesses its secret.
//   - Every secret check takes a token from a global budget (CheckRate,
//     CheckBurst), which bounds the CPU the relay spends on PBKDF2. Known
//     sources take from a budget of their own, so strangers, however many,
//     cannot delay a known customer's reconnect. A check waits for its
//     token until the caller's context ends (the bind deadline).
//
// An attempt that cannot name its account (a bare admin token) passes an
// empty account and a fingerprint of the credential ([Attempt].Known):
// the per-source failure bucket and the global budget apply, except to a
// credential that has succeeded from that source before, which passes
// whatever others fail there.
//
// Memory is bounded: each table holds at most MaxKeys entries. When a table
// is full, entries whose bucket has refilled are forgotten; if it is still
// full, a new stranger is refused (fail closed) and known sources still
// pass.
package authguard
