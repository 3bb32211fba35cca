// Package admin is the relay's administration HTTP server: a JSON API for
// operators and customers, and server-rendered merchant pages
// (가맹점관리자시스템, terms Art. 2-9), on net/http.
//
// # Who may do what
//
// Every request carries a token (API: "Authorization: Bearer <token>";
// pages: a session cookie made at sign-in). A token is either an operator
// token, which sees every customer, or a customer token, which sees only
// its own customer's data: another customer's message answers 404, as if
// it did not exist, and another customer's path answers 403.
//
//	action                                   operator  customer (own data)
//	message lookup (id, client ref,             yes       yes
//	  recipient + time range, time range)
//	statement (JSON, CSV), export (CSV)         yes       yes
//	statement: issue, reissue                   yes       no
//	payment subscriptions: read                 yes       yes
//	merchant recipient numbers: add, remove     yes       yes
//	payment subscriptions: put, remove          yes       no
//	sender numbers: add, remove                 yes       no (number ownership is verified first)
//	suspend, resume, contract end date          yes       no
//	HTTP API keys: list                         yes       yes
//	HTTP API keys: add, revoke                  yes       no
//	contract-end purge                          yes       no
//	AlimTalk templates: read                    yes       yes
//	AlimTalk templates: put, remove             yes       no
//	ad opt-out list: read (operators masked),   yes       yes
//	  add, CSV import, remove
//
// Personal data: a customer sees its own recipients and texts in full.
// Operators see recipient numbers masked (010****5678) and no message text;
// they can still look a message up by the full recipient number.
//
// Tokens have one format, like GitHub's: "rly_", 22 base62 characters
// (at least 128 random bits) and a 6-character base62 CRC32 of the rest
// ([NewToken], `relayctl new-token`). A presented token that does not fit
// the format is refused before anything is hashed. The config keeps a
// SHA-256 of each ("sha256:<hex>"); a token may also come in plain from an
// environment variable or a file, and must then fit the format. A
// presented token is hashed and compared, in constant time, with every
// configured hash.
//
// Guessing is throttled per source (an IPv4 address or an IPv6 /64) with
// the upstream's rules (package authguard): past 5 wrong tokens, a source
// is answered 429 until its bucket refills, except for a token that has
// already succeeded from that source. Sign-in is throttled per token too,
// and each token holds at most [Config].SessionsPerToken page sessions: a
// new one replaces that token's oldest, so a customer cannot sign the
// operator (or another customer) out.
//
// Every change, and every refused change, is written to the [AuditLog]
// (who, when, what, outcome, and the reason of a refusal) before the
// answer is sent, whoever's token it was: a change its handler refused
// without auditing (403 for another customer, 400 for a bad body) is
// audited by the API's authentication wrapper with the route as action.
// [FileAudit] writes JSON lines and fsyncs each one.
//
// CSV answers (statements, exports) go through package csvsafe: a cell
// that a spreadsheet would run as a formula is written as text.
//
// # API
//
//	GET    /api/v1/messages/{id}
//	GET    /api/v1/messages?customer=C[&from=T][&to=T][&state=S][&product=P][&sender=N]
//	         [&recipient=N][&client_ref=R][&limit=L][&before=ID|&after=ID][&format=csv]
//	GET    /api/v1/customers/{customer}
//	POST   /api/v1/customers/{customer}/suspend          {"reason": "..."}
//	POST   /api/v1/customers/{customer}/resume
//	POST   /api/v1/customers/{customer}/senders          {"number": "...", "proof": "<proof document reference>"}
//	POST   /api/v1/senders/{number}/shared               {"shared": true|false, "reason": "..."}, operators only
//	DELETE /api/v1/customers/{customer}/senders/{number}
//	GET    /api/v1/customers/{customer}/api-keys         the HTTP API keys in force: ids and hashes
//	POST   /api/v1/customers/{customer}/api-keys         {"hash": "sha256:<hex>"} (relayctl new-api-key), operators only
//	DELETE /api/v1/customers/{customer}/api-keys/{key}   key: its hash or its 12-digit id, operators only
//	GET    /api/v1/customers/{customer}/statements/{month}[?version=N][&format=csv]
//	POST   /api/v1/customers/{customer}/statements/{month}/issue  {} or {"reissue": true, "reason": "..."}, operators only
//	GET    /api/v1/customers/{customer}/export?from=T&to=T   (CSV)
//	POST   /api/v1/customers/{customer}/end              {"date": "YYYY-MM-DD"} (the contract's last day), operators only
//	POST   /api/v1/customers/{customer}/purge            {"confirm": "<customer>"}, operators only
//	GET    /api/v1/payments[?customer=C]
//	GET    /api/v1/payments/{mid}
//	PUT    /api/v1/payments/{mid}                        subscription JSON
//	DELETE /api/v1/payments/{mid}
//	POST   /api/v1/payments/{mid}/recipients             {"number": "..."}
//	DELETE /api/v1/payments/{mid}/recipients/{number}
//	GET    /api/v1/customers/{customer}/templates
//	PUT    /api/v1/customers/{customer}/templates/{sender_key}/{code}
//	                                                     {"text": "...#{var}...", "may_be_empty": [...],
//	                                                      "buttons": [{"type": "WL", "name": "...", "url_mobile": "..."}]}
//	DELETE /api/v1/customers/{customer}/templates/{sender_key}/{code}
//	GET    /api/v1/customers/{customer}/optout
//	POST   /api/v1/customers/{customer}/optout           {"numbers": ["010-1234-5678", ...]}
//	POST   /api/v1/customers/{customer}/optout/import    CSV body: numbers in the first column
//	DELETE /api/v1/customers/{customer}/optout/{number}
//	GET    /api/v1/customers                             every customer, operators only
//	GET    /api/v1/status                                the ops port's /status as JSON, operators only
//	POST   /api/v1/carriers/{carrier}/drain              out of routing, windows drained (waits up to 30s), operators only
//	POST   /api/v1/carriers/{carrier}/resume             back into routing, operators only
//	POST   /api/v1/reload                                read the configuration file again (as SIGHUP), operators only; 422 when refused
//
// GET / redirects to the merchant pages at /ui/. A drain takes a carrier
// out of routing until it is resumed or the relay restarts: messages
// queued for it are routed again (to another carrier of their rule, or
// they wait), its binds stay up for the receipts of what it took, and the
// answer gives the submits still in its windows when the wait ended.
//
// # Sender numbers, payment sources, templates and opt-out lists
//
// A sender number belongs to one customer: registering another customer's
// number is refused (409) unless an operator has marked it shared, which
// is audited. The company's representative number (1588-4954, config
// representative_number) is reserved: only payment AlimTalk falls back
// from it and no customer may register it (400). Each registration records
// the token name that added it, when, and the reference of its proof
// document (통신서비스 이용증명원; a reference only, no file is stored); the
// customer view lists them as "numbers", and the merchant page /ui/numbers
// shows them. Numbers from the configuration file show "config".
//
// Payment events come only from the customer the configuration names as
// payment_source (the payment system); a subscription (PUT /payments/{mid})
// must name an existing customer and a sender profile it owns.
//
// A template belongs to a sender profile of the customer in the path; the
// door refuses an AlimTalk that names no registered template or differs
// from it (TEMPLATE_MISMATCH with the first differing character). Changes
// are audited and kept in data_dir/templates.jsonl across restarts. A
// template a payment subscription renders cannot be removed, nor given
// another text or buttons (409, naming the subscriptions), and a
// subscription put at run time must render registered templates with
// their texts (400), so payment notices always match at the door.
//
// The opt-out list (080 수신거부) holds the numbers that asked a customer to
// stop its advertisements; an advertisement to one is refused at the door
// (OPTED_OUT), other messages are not affected. A message is an
// advertisement when flagged or when its text opens with (광고) or [광고]
// as a reader sees it. Numbers are normalised (010…); a number that is not
// a mobile number fails the whole request, naming it. The import takes up
// to a million numbers in one request (32 MiB). Changes are audited (the
// audit log keeps a masked number or a count, not the list) and kept in
// data_dir/optout.jsonl.
//
// A customer's HTTP API keys are given by their hashes ("sha256:<hex>",
// relayctl new-api-key): the relay never sees a key, and refuses one pasted
// where its hash belongs without repeating it. A key belongs to one
// customer (409 naming its owner), a customer has at most
// [customer.MaxAPIKeys] in force, the file's api_keys included (409 naming
// the limit); a key is revoked by its hash or its 12-digit id, listed
// with it. Changes take effect from the next request, are audited with the
// key's id, and are kept in data_dir/runtime.json, or in a cluster in the
// shared state, so every node takes or refuses the key.
//
// Times (T) are RFC 3339 or YYYY-MM-DD (a day in KST). Errors are
// {"error": "..."} with a status code.
//
// # Statements
//
// A month's statement is either issued or a preview. GET answers the
// latest issued version ("status": "issued", "version", "issued_at",
// "issued_by", and a reissue's "reason"; the X-Statement-Versions header
// counts the versions, ?version=N reads an earlier one), or, for a month
// never issued, a preview computed now from the billing counters and the
// prices in force during the month ("status": "preview"), with its billing
// and due dates. Issuing needs the month to be over in KST and stores the
// statement in the store; it never changes after. Issuing an issued month
// again answers 409 unless the body says {"reissue": true, "reason":
// "..."}: the new version is computed from today's counters and prices,
// the earlier ones stay readable, and both actions are audited
// (statement.issue, statement.reissue). The statement page shows the same
// and says which it is.
//
// # Contract end
//
// From the day after a customer's end date its messages are refused
// (CUSTOMER_SUSPENDED, naming the date). The contract-end purge (Art.
// 10-2) answers 409, naming what is missing, until the contract has
// ended: the customer is suspended, its end date has passed, and the
// statement of the end date's month and of every later month with billed
// messages is issued. It then removes the personal data (text, subject,
// recipient, Kakao content) of every final message and the undelivered
// reports, and keeps each message's id, client reference, products,
// states, timestamps and result, the billing counters and the issued
// statements, so statements, counts and the export stay true. Messages
// still open keep their data: the answer counts them ("open") and the
// purge can be run again once they are final.
//
// # History
//
// A search answers a customer's messages accepted in [from, to) (default:
// the 30 days before now), newest first, with every filter (state;
// product, sent or billed; sender; recipient; client_ref) applied before
// the page is cut at limit (at most [Config].MaxResults):
//
//	{"messages": [...], "count": 5, "next": "<id>", "prev": "<id>", "total": 1234}
//
// next is the before= of the page of older messages, prev the after= of
// the page of newer ones; each is absent at its end, and paging has no
// length limit. total is given when counting costs no record reads: no
// state, product or sender filter, at most 100,000 matches. A page reads
// at most 50,000 index entries, so a filter that matches little may answer
// a short page with a next cursor; keep following next. format=csv
// answers every match, all pages (up to 100,000 rows), as CSV.
//
// # Pages
//
// /ui/ signs in with a token (form POST) and sets a session cookie
// (HttpOnly, SameSite=Strict, Secure when served over TLS); the session
// lives in memory for [Config].SessionTTL. SameSite=Strict is also what
// keeps other sites from posting forms with the cookie. Sign-in lands on
// /ui/home, the dashboard: today's and this month's messages per product
// with the delivery rate, and the last 30 days as a server-drawn SVG
// chart (bars: messages made final each day; line: delivery rate), all
// by day in KST from the store's daily counters. An operator sees every
// customer in total with a customer list, and ?customer=ID for one; a
// customer sees its own. /ui/messages
// shows the last week's messages on load, newest first, and searches by
// recipient, sender, product, state, client reference and dates, with
// links to the older and newer pages and a CSV download of every match of
// the current filter (/ui/messages.csv, the export's columns);
// /ui/messages/{id} shows one message with its legs; /ui/statement shows
// a month's statement, issued or preview. The pages run no scripts
// (script-src 'none').
package admin
