// Package webhook delivers final reports to a customer's report_url, signed,
// at least once, from the same durable outbox the upstream protocol reads.
//
// # A delivery
//
//	POST <report_url>
//	Content-Type: application/json
//	Webhook-Id: rpt_<message id>
//	Webhook-Timestamp: <unix seconds>
//	Webhook-Signature: v1,<base64 HMAC-SHA256> [v1,<…> for the second secret]
//
//	{"type":"message.final","message_id":"…","idempotency_key":"…",
//	 "product":"sms","state":"delivered","billed":"sms",
//	 "result":{"source":"receipt","code":"DELIVRD"},
//	 "accepted_at":"…","sent_at":"…","final_at":"…"}
//
// The signature is HMAC-SHA256, keyed with the secret's bytes, over
//
//	<Webhook-Id> "." <Webhook-Timestamp> "." <body>
//
// in the style of Standard Webhooks. With two secrets configured (a
// rotation), the header carries one signature for each, space separated; a
// receiver accepts the request if any matches one of its secrets. [Verify]
// is the receiver's check: it refuses a timestamp more than 5 minutes old
// (or ahead), so a captured request cannot be replayed later.
//
// Webhook-Id stays the same across retries and relay restarts: it is the
// idempotency id a receiver deduplicates on.
//
// # At least once
//
// Each customer with a report_url has one sender. It reads the customer's
// outbox (store.Reports), posts each report and acknowledges it in the
// outbox (store.AckReports) only after a 2xx answer, so a crash between the
// two re-sends it after the restart with the same Webhook-Id. A failed
// delivery (no answer, a timeout, any other status, a redirect) is retried
// with exponential backoff from Config.RetryMin doubling to RetryMax, until
// 48 hours after the report's final result; then it is dropped, counted
// and logged. A report no worker took by then (its customer's report_url
// removed, say) is dropped by the daemon's scan of the outbox, which every
// door shares, and counted in relay_reports_expired_total{door="webhook"}. Billing is the store's, at the final transition: a report
// sent twice, or sent on another transport, is never billed twice.
//
// A customer's reports go to exactly one kind of transport: with a
// report_url, to the webhook only (the daemon gives its upstream sessions
// no report source); without one, to its upstream connections.
//
// # Targets
//
// report_url must be https unless Config.AllowHTTP. To keep a report_url
// from reaching inside the relay's network (SSRF), the address the sender
// connects to is checked at connect time, after DNS resolution, so a name
// that resolves to a private address later is refused as well: loopback,
// private (RFC 1918, fc00::/7), link-local (cloud metadata), unspecified
// and multicast addresses are refused unless Config.AllowLoopback,
// AllowPrivate or AllowNetworks allow them. TLS certificates are verified.
//
// # Visibility
//
// relay_webhook_deliveries_total{customer,result}, relay_webhook_pending
// and relay_webhook_failing{customer} are the metrics; [Sender.Status] is
// the snapshot the status page shows.
package webhook
