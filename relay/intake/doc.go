// Package intake is the one accept path every ingress shares: the upstream
// protocol server, the SMPP server for upstream ESMEs and the HTTP API all
// turn what they read into Submits and hand them to an Acceptor, which
//
//	door check ──▶ durable store accept (one synced batch) ──▶ dispatch
//
// and answers each with a message id, a refusal that names the rule, or a
// transient error to retry. A message is acknowledged only after its
// commit, so nothing answered OK lives only in memory.
//
// Reports go the other way through the store's per-customer outbox
// (store.Reports, store.AckReports): an ingress that carries reports
// watches a customer's outbox with Hub.Watch, reads from it after a
// wake-up and acknowledges what its client took.
package intake
