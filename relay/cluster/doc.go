// Package cluster makes several relays one service on NATS JetStream. It
// owns a node's NATS connection, the NATS server a node may embed, and the
// streams that cross nodes. Pebble stays each node's write-ahead store: an
// accepted message lives on the disk of the node that accepted it, and is
// sent, retried and billed there. Only what must cross nodes goes through
// NATS. A relay without `[cluster]` never calls this package: it opens no
// connection, starts no goroutine and pays nothing per message.
//
//	carrier account (any bind may bring any receipt)
//	  │ deliver_sm         │                    │
//	node1                node2                node3        relays: Pebble each
//	  │ unknown id?        │                    │
//	  └──publish, wait for the ack──▶ RELAY_RECEIPTS ◀── (R3, 48 h, dedupe 5 min)
//	                                  │        │       │
//	                        durable consumer per node: receipts_node1/2/3
//
// # Receipts on any node
//
// The correlator first asks its own store (store.Receipt.LocalOnly). A
// receipt whose id the store knows is applied there, as on a single relay,
// and never touches NATS. A receipt the store would park (no message of
// this node holds the id yet) is published to the stream RELAY_RECEIPTS on
// subject relay.receipts, and deliver_sm_resp goes out only after the
// stream acknowledged it: a quorum of its replicas has it on disk. Without
// a quorum (no server reachable, or fewer than a majority of the replicas
// up) the publish fails within publish_timeout, the deliver_sm is answered
// ESME_RX_T_APPN, and the carrier sends it again later. Submits are still
// accepted into the local store and sent all the while; /status warns and
// relay_cluster_stream_ready is 0.
//
// Every node has a durable consumer on the stream and hands each receipt
// to its store's ApplyReceipt, the one rule a single relay uses. The node
// whose message holds the id applies it; if its submit_sm_resp is not
// recorded yet, it parks it and applies it when it is. Every other node
// parks it too and drops it after the store's parked_receipt_ttl (counted
// in relay_store_receipts_total{outcome="dropped"}: in a cluster that
// series also counts other nodes' receipts). A receipt for a node that is down waits
// in the stream, under that node's consumer, until the node returns
// (receipt_retention, 48 h by default).
//
// The early-receipt rule holds across nodes: a parked receipt matches only
// a message whose submit_sm went out at or before the receipt arrived. The
// arrival is stamped by the node that read the deliver_sm, on its clock;
// each reader moves it later by skew_tolerance before applying it, so a
// clock up to that much behind another node's does not lose a receipt.
//
// # Why every node reads the unknown receipts
//
// The alternative, a KV of carrier id → node written at every
// submit_sm_resp, costs one replicated write per message sent, whether
// its receipt comes back on the same node or not, and millions of keys a
// day at the relay's rates. Reading the unknown receipts costs nothing per
// message whose receipt returns to its own node (most of them when each
// node has its own binds), and for the rest one replicated publish plus one
// store write on each node. It needs no ownership state that could be
// stale after a crash. Its cost grows with the number of nodes, which is
// small (3 to 5).
//
// # Duplicates
//
// The stream's Nats-Msg-Id is a hash of the carrier account, the normalised id and
// the receipt's content (text and TLVs). A carrier's copies of one
// receipt, read by one node or by several, are kept once within
// duplicate_window (minutes). The window is not the retention: carriers
// reuse ids, and a receipt for an id reused days later is a new receipt.
// A copy that arrives after the window is parked as a duplicate by the
// store, which applies a final result once.
//
// # Message ids
//
// Every node has a node_number (1-255, in [cluster]), and keeps it in the
// lowest 8 bits of every message id it makes (message.ID): two nodes never
// make the same id, whatever their clocks. The id keeps its 16-hex-digit
// form, so upstream clients, SMPP receipts (compared as strings) and the
// HTTP API see nothing new. A node claims its number in the KV bucket
// RELAY_NODE_NUMBERS (number.N → node name) once the cluster has a quorum; a number
// another node holds is a configuration error, and the node then refuses new
// messages with a temporary error, on /status as a problem, until the
// number is fixed. A claim stays for good: to give a retired node's number
// to another, delete its key from the bucket.
//
// # client_ref across nodes
//
// A customer's client_ref is its idempotency key; one relay's store keeps
// it unique. Across nodes the KV bucket RELAY_REFS (R3, TTL ref_retention,
// 48 h) maps a hash of (customer, client_ref) to the node and message id
// that accepted it. Before storing a message with a client_ref it does not
// know already, a node creates the key with its own name and no id (a
// claim; JetStream creates a key once, so of two nodes racing one wins);
// after its store answered, it writes the id, and only then answers the
// client. A resubmission on another node finds the id and answers it as a
// duplicate, storing nothing. A resubmission that finds a claim with no id
// (its node is storing it now, or stopped in between) is answered with a
// temporary error; when it comes back to the claiming node, that node's
// store answers it and writes the id to the claim (Node.KeepRef), or
// creates the entry if the bucket has none (a reference accepted before
// the node joined, or whose entry expired). A claim whose node is lost for
// good stays pending until its TTL: a resubmission elsewhere is refused,
// never sent twice.
//
// Payment events take the same claim. Each message of an event carries a
// client reference derived from the event id (relay/payment.ClientRef), and
// the accept path payment events take (intake.Intake.AcceptCheckedBatch)
// claims an event's references at once, like a batch of submits': an event
// the payment system sends again on another node is answered OK,
// duplicate, with the first node's message ids, and no second notice is
// sent or billed. Two nodes racing one event may each claim one of its
// messages first; each stores that one and answers STORE_UNAVAILABLE, and
// the event sent again is answered as a duplicate with the same ids
// everywhere.
//
// Without a quorum the bucket cannot answer, and a node cannot tell a
// resubmission from a new message. For money-related notices a duplicate
// is the worse failure, so the node answers every submit with a client_ref
// with a temporary error (STORE_UNAVAILABLE upstream, 503 over HTTP,
// ESME_RMSGQFUL over SMPP) until the quorum returns, and every payment
// event with STORE_UNAVAILABLE; submits without a client_ref are still
// accepted. A resubmission, or a payment event sent again, to the node that
// accepted it is answered by its store, with no claim: one read of the
// entry, and a write only if its claim was left pending. Cost: at most two
// replicated writes per new message with a client_ref, so per message of a
// payment event (bench/README.md). A batch's claims go out as one pipeline
// of publishes (each expecting the key to have no entry) waited for
// together, and each names a batch key (b.<random>) and its place in it;
// once the store answered, the batch's ids are written to that key in one
// write, before the answers. A node that finds a claim with no id reads
// the batch key: the id there is the answer, no entry there means pending.
// So a batch of n new references costs n + 1 replicated writes, not 2n,
// and waits about two replicated round trips. A claim taken again by its
// own node gets its id in its own entry, as KeepRef writes it. A node of
// an earlier version reads a batch-settled claim as pending and answers
// "send again later" (never a wrong id) until the claiming node's KeepRef
// writes the id into the entry.
//
// # Formats
//
// One message of the stream is one JSON object (wireReceipt): node,
// carrier (the carrier account, [[carrier]] account: the entry's name
// unless it names one), id, delivered, final, source, code, reason, at, arrived,
// submitted and done (Unix nanoseconds), skew (nanoseconds). Fields are
// added, never renamed: nodes of two versions share the stream during a
// rolling upgrade.
//
// # Shared customer state, rates and billing
//
// Three JetStream KV buckets, each with the configured replicas:
//
//	RELAY_STATE    run-time customer state (State): one key per thing an
//	               operator or customer changed, 16 revisions a key; every
//	               node watches it and applies every change, a starting
//	               node reads it whole first. The relay's keys and merge
//	               rule: relay/clusterstate.go.
//	RELAY_NODES    heartbeats (Members): one key per live node, rewritten
//	               every third of node_ttl, expiring after it (with limit
//	               markers, so watchers see it go). The live nodes split
//	               each customer's rate evenly.
//	RELAY_BILLING  billing (Billing): counts.<month>.<node>, each node's
//	               counters of the month, rewritten every 10 s and final
//	               once the month is over on its clock; and
//	               issued.<month>.<customer>.<version>, the issued
//	               statements, created once.
//
// A write to RELAY_STATE returns once a quorum has it, before the change
// takes effect on the writing node; a change computed from a value (a
// customer's sender list) is written only at the revision the node last
// saw, else ErrConflict. A node remembers the latest revision it applied
// of each key, so a change read back late never undoes a later one.
//
// # Carrier bind quotas
//
// A carrier account (one SMSC login: [[carrier]] account, by default the
// entry's name) allows at most max_binds binds, over every entry of every
// node that binds it. The nodes lease the account's bind slots in the KV bucket RELAY_BIND_LEASES
// (leases.go): key s.<account>.<slot> names the node holding the slot.
// The bucket's TTL (bind_lease_ttl) removes a key not written again; a
// holder rewrites it every sixth of the TTL on its revision, from a
// goroutine of the slot's own, and gives the slot up, unbinding at once,
// half a TTL after the send of the first rewrite not acknowledged, by its
// own clock, so it is unbound before any other node can take the slot
// however late the bucket answers (a rewrite the bucket took but answered
// too late is recognised as the node's own, not taken for another's). A
// crashed node's slots come back a TTL after its last rewrite. Each of a
// carrier's configured binds waits for a slot before it binds
// (dispatch.BindSlots); a node holding none announces it (w.<account>.<node>)
// and the node holding the most gives one back. account_tps is split over
// the slots the whole cluster holds, read from the bucket every sixth of
// the TTL. Each read is one direct get of every key's last value
// (multi_last), answered by any server holding the bucket: no consumer is
// made (a watcher made for each read cost a create and a delete through
// the meta leader; one kept open stopped for good when its server went).
//
// # Recovery objectives
//
// A node's accepted messages are on its own disk only. If the node dies,
// its messages wait until it, or its volume attached to a replacement,
// comes back: they are resent then, and their receipts wait in the stream.
// If a node's disk is lost for good, the messages it had accepted and not
// yet made final are lost (their upstream acknowledgement was given), and
// so is the billing of messages it delivered since its last statement was
// read. Their client_refs still name the lost node's ids in RELAY_REFS for
// up to 48 h: a resubmission is answered with the lost id, not sent again,
// unless an operator deletes that node's entries. The receipt stream and
// the buckets lose nothing while a quorum of their replicas lives (R3: one
// NATS server may be lost).
package cluster
