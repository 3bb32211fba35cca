// Package store is the relay's write-ahead store: every message the relay
// acknowledges, every state it moves through, every receipt, report and
// billing counter lives here, on Pebble. It is the only package that imports
// Pebble.
//
// # Promises
//
//   - A write returns only after its batch is synced to disk. Writes from
//     concurrent callers share one Pebble batch and one fsync (group commit);
//     nothing is written with NoSync.
//   - Each write (an acceptance, a transition, a receipt, an expiry, a purge
//     step) is one atomic batch that updates the message record and every
//     index it touches. A crash leaves either all of it or none of it.
//   - The state machine of [message.CheckTransition] is enforced in one place
//     (transition.go); an illegal move returns an error wrapping
//     [message.ErrIllegalTransition] and writes nothing.
//   - A delivered message increments its (customer, month, billed product)
//     counter in the batch that makes it delivered. Delivered is final, so a
//     duplicate receipt or a retried transition cannot count it twice.
//   - A receipt belongs only to a message that could have caused it: one
//     on its carrier whose submit_sm was written (SentAt) at or before the
//     receipt arrived and, when the receipt's own dates can be trusted
//     (a done date within the carrier's clock skew of its arrival), within
//     that skew of its submit date. Carriers reuse ids, so the message
//     holding a receipt's id may not be its message. A receipt for a later
//     submit than the holder's, or for an id no message holds yet, is
//     parked with its arrival time (and, without dates to go by, one for
//     a holder final longer than Options.ParkedTTL ago); when a message
//     records that id on that carrier, the parked receipt is applied in
//     the same batch if it could be that message's, and dropped as
//     unmatched if not. A receipt for an earlier submit than the holder's
//     is dropped as unmatched. Parked receipts wait Options.ParkedTTL. No
//     message is final before it was sent: FinalAt ≥ SentAt.
//
// # Use
//
//	s, err := store.Open(dir, store.Options{Logger: log})
//	stats, err := s.Recover(func(m *message.Message) error { ... dispatch ... })
//	id, dup, err := s.Accept(ctx, m)                  // idempotent on (customer, client ref)
//	err = s.MarkQueued(ctx, id)                        // accepted → queued
//	err = s.MarkSending(ctx, id)                       // queued → sending, attempts+1
//	out, err := s.RecordSubmitResp(ctx, id, carrier, carrierMsgID, sentAt)
//	out, err := s.ApplyReceipt(ctx, store.Receipt{...}) // applied, duplicate, parked, late, ...
//	err = s.ApplyReceipts(ctx, receipts, outs)         // a bind's receipts in one write
//	ids, err := s.ExpireDue(ctx, now, 1000)            // sent + 48h passed → expired
//	ms, err := s.TakeScheduled(ctx, now, 512)          // scheduled messages now due
//	reps, err := s.Reports(customer, afterSeq, 100)    // outbox, in order
//	err = s.AckReports(ctx, customer, seq...)
//	gone, err := s.ExpireReports(ctx, now, store.ReportKeep) // unread 48h after final → dropped
//	counts, err := s.MonthCounts(customer, "2026-11")
//	n, err := s.PurgeBefore(ctx, cutoff)               // retention
//	n, open, err := s.PurgeCustomer(ctx, customer)     // contract end
//	for m, err := range s.Export(from, to) { ... }      // sending records
//
// # Commit pipeline
//
//	callers ──do(op)──▶ buildLoop ──group──▶ syncLoop ──Commit(Sync)──▶ Pebble
//	   ▲                (runs ops in order      (one group at a time,      │
//	   └──────────────── into the batch)         in build order)  ◀────────┘
//	                  answers after the group and every earlier one is synced
//
// One goroutine (buildLoop) runs every write, one at a time, so
// read-modify-write of a record, a counter or a sequence needs no locks.
// It runs each write as it arrives into the current group and hands the
// group to the sync goroutine the moment that one is free; while a group
// syncs, the next one fills. When the store is busy, a group about to be
// handed over first yields to the callers the last commit woke and takes
// the writes they send, for up to Options.CommitDelay (gather): a synced
// commit costs about the same CPU however many writes it carries. Writes
// read through the overlays of groups not yet visible in Pebble
// (overlay.go), and nobody is answered before their group and every
// earlier group is synced, so not even a duplicate acceptance (which
// writes nothing) is acknowledged on unsynced data. After a failed commit
// every later write fails with ErrFailed until the store is reopened.
// Keys of the tables writes read back (records, counters, indexes) enter
// the batch once per group, with their last value, when the group is
// handed over: many writes of a group rewrite the same counters, and a
// message's submit answer and receipt often share a group. The writes to
// the other tables wait for the hand-over too, and the whole group goes
// into its batch sorted by key, so that Pebble's memtable inserts each key
// next to the one before (pending.go). Acceptances are answered first in
// their group: an upstream client waits on each. At the hand-over the
// group also takes the due keys of the messages of the due window still
// open DueDelay after their acceptance (see the due table below).
//
// Measured against the alternative of applying each group with Pebble's
// ApplyNoSyncWait and waiting for the fsyncs in a second goroutine: the
// same throughput and CPU per write on this machine, so the store keeps
// the plain synced Commit.
//
// Writes that look for a client reference or a carrier id first ask a
// Bloom filter of that table (refFilter), since most are for keys that
// are not there: a new reference, a receipt that overtook its submit
// answer.
//
// Reads (Get, ByClientRef, MonthCounts, ...) go straight to Pebble, which
// shows a write a moment before its fsync completes. Reports, whose answers
// leave the relay, waits until the syncer has finished every group handed
// to it before the read. After a commit that added reports, the store
// names their customers to Options.OnReports.
//
// Pebble charges its memtables to the block cache, so the cache is sized
// at CacheSize on top of two memtables; a cache no larger than the
// memtables caches nothing.
//
// # Key layout
//
// Every key starts with one table byte. Ids are the 8 big-endian bytes of
// [message.ID], so they sort by acceptance time. Strings inside keys carry a
// one-byte length prefix (str = len(1) bytes), which keeps prefix scans of
// one customer or one carrier exact without escaping. These constants are
// part of the on-disk format: never renumber, only append.
//
//	table        key                                         value
//	0x01 msg     │01│ id(8) │                                record (record.go)
//	0x02 ref     │02│ str customer │ str client ref │        id(8)
//	0x03 dlr     │03│ str account │ str carrier msg id │     id(8)
//	0x04 parked  │04│ str account │ str carrier msg id │     parked receipt
//	0x05 due     │05│ deadline unix ms(8) │ id(8) │          empty
//	0x06 open    │06│ id(8) │                                empty (no longer written; see below)
//	0x07 outbox  │07│ str customer │ seq(8) │                report (report.go)
//	0x08 outseq  │08│ str customer │                         last seq(8)
//	0x09 bill    │09│ str customer │ month "YYYY-MM" │ product(1) │  count(8)
//	0x0a rcpt    │0a│ str customer │ str recipient │ id(8) │  empty
//	0x0b cust    │0b│ str customer │ id(8) │                 empty
//	0x0c stmt    │0c│ str customer │ month "YYYY-MM" │ version(2) │  issued statement
//	0x0d legs    │0d│ id(8) │ leg(1) │                      ended leg (legs.go)
//	0x0e daily   │0e│ str customer │ day "YYYY-MM-DD" │ product(1) │ outcome(1) │  count(8) (daily.go)
//	0x0f meta    │0f│ name │                                 per name
//	0x10 sched   │10│ send at unix ms(8) │ id(8) │           empty (schedule.go)
//
// The dlr and parked tables key a carrier message id by the account it
// came from: the carrier's name, unless Options.Accounts names another
// (several [[carrier]] entries binding one SMSC login share an account,
// since the SMSC may send a receipt on any bind of the login). A record
// keeps the carrier's name; the account is looked up when a key is
// written, so with no Options.Accounts the keys are the carrier's name as
// they always were.
//
// All integers are big-endian. Values begin with a version byte; a reader
// decodes every version it has ever written (testdata holds frozen ones).
//
// The msg record (version 2; version 1, still read, lacks the deadline and
// not-before times):
//
//	┌────┬───────┬─────┬───────┬──────┬────────┬─────┬──────┬────────┬─────────┐
//	│ 02 │ id(8) │state│product│billed│fallback│ leg │flags │ source │attempts │
//	│    │       │ (1) │  (1)  │ (1)  │  (1)   │ (1) │ (1)  │  (1)   │ uvarint │
//	└────┴───────┴─────┴───────┴──────┴────────┴─────┴──────┴────────┴─────────┘
//	then accepted, sent, final, deadline, not before: varint unix ns each
//	(0 = zero time; a version 1 record's deadline is acceptance +
//	Options.Validity, its not-before none), then 14
//	strings as uvarint length + bytes: customer, client ref, sender, recipient,
//	text, subject, sender key, template code, buttons, image url, carrier,
//	carrier msg id, result code, result reason.
//	flags: bit 0 truncate, bit 1 kakao ad, bit 2 personal data purged, bits 3-4
//	the ingress (0 upstream protocol, 1 SMPP, 2 HTTP), bits 5-6 the receipts
//	asked for (0 all, 1 none, 2 failures only: SMPP's registered_delivery).
//
// A record is written whole at acceptance, and by a write that changes
// more than its state (a fallback leg's text, a purge). A move that
// changes only state fields appends a state delta instead: the batch
// carries it as a Pebble merge, and Pebble's concatenating merger
// ("pebble.concatenate", which Open names: part of the format) appends
// it to the stored value, at reads and in compactions alike. A stored
// value is thus a record followed by zero or more deltas, each:
//
//	┌────┬──────────────┬─────────────────────────────────────┐
//	│ d1 │ mask uvarint │ the fields the mask names, in order │
//	└────┴──────────────┴─────────────────────────────────────┘
//	mask bits: 0 state(1), 1 billed(1), 2 leg(1), 3 result source(1),
//	4 attempts uvarint, 5 sent, 6 final (varint unix ns, 0 = zero time),
//	7 carrier, 8 carrier msg id, 9 result code, 10 result reason
//	(uvarint length + bytes).
//
// A reader decodes the record, then applies each delta in turn. A delta
// names only the fields that changed: a bench SMS's record is some 170
// bytes, its sent and delivered deltas some 30 each, where each move
// once wrote the record again. A record whose deltas would pass 256 bytes
// (a message retried many times) is written whole again. Stores written
// before deltas hold whole records and read as before; a release from
// before deltas reads a record with deltas as corrupt, so a store cannot
// go back to one.
//
// A message that moves to its next leg (a Kakao message falling back to
// SMS/LMS) keeps the leg it ends in the legs table, in the batch of that
// move: version byte (1), leg, product, result source, attempts (uvarint),
// sent and ended times (varint unix ns), result code and reason (uvarint
// length + bytes). The record then holds the new leg.
//
// An issued statement (stmt) is the caller's encoding after a version
// byte (1); version 0 of a month holds the number of its latest version
// (2 bytes). Versions are only added, never changed or removed.
//
// The due table holds every message that is not final, ordered by its
// deadline (set at acceptance, the record's, wall clock), so expiry
// survives restarts and scans only what is due, and recovery reads only
// the messages not final, however large the store. A due key is set once
// per removal and removed with SingleDelete, so the key and its removal
// vanish together in a flush or compaction. The open table (by id) held
// the same messages once more; it is no longer written, and Recover
// removes what an earlier release left in it.
//
// Nearly every message is final within milliseconds of its acceptance,
// so its due key is not written at once: the due window (duewindow.go),
// held by buildLoop, lists the messages accepted in the last
// Options.DueDelay (3 s) in acceptance order, which is id order, with
// their deadlines. A move that makes one of them final writes neither
// the key nor its removal. When a group is handed over, the entries older
// than DueDelay whose messages are still open get their keys in its
// batch, and from then on all is as above. A message whose deadline is
// within two DueDelays of its acceptance gets its key at acceptance. The
// meta key "due-mark" holds an id below which every message not final
// has its due key; it moves forward in the batch of the keys it passes
// (at most once a DueDelay), never past a message still in the window.
// After a crash, Open reads the msg table from the mark to its end, gives
// every message there that is not final its key if it lacks one, and sets
// the mark past the greatest id, before any write: so after Open the due
// table holds every open message again, as Recover, ExpireDue and Verify
// expect. While the store runs, the readers of the due table (Recover,
// ExpireBefore, OpenSummary) first take the window's messages, on
// buildLoop, then read Pebble: an entry leaves the window only once the
// group that wrote its key is synced, so none is missed. ExpireBefore
// expires a window message at its deadline from the window; Verify lets
// a message at or above the mark lack its key. A group that aborts undoes
// its changes to the window.
// The sched table orders the messages their submitter scheduled by send
// time from acceptance until the dispatcher takes them (TakeScheduled),
// so they wait on disk, not in memory, and Scheduled counts them for the
// backlog bound.
//
// A customer's reports take sequences in the order their messages became
// final, so the reports nobody acknowledged within ReportKeep of their
// final result are a prefix of its outbox: ExpireReports drops it with one
// range deletion per customer and scan, not a tombstone per report, and
// remembers where the outbox now starts so the next scan does not step
// over the deletions again.
//
// # Retention
//
// [Store.PurgeBefore] clears the text, subject, recipient and Kakao content
// of final messages accepted before a cutoff, keeps an anonymised sending
// record (the msg record with the purged flag set) and the billing counters,
// and drops their rcpt index entries. [Store.PurgeCustomer] does the same
// for every final message of one customer at contract end, and drops the
// customer's outbox; records, counters and issued statements stay. Both go
// through the commit pipeline one bounded step at a time, so writes
// continue between steps.
package store
