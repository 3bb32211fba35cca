// Package receipt reads and writes SMPP delivery receipts and turns carrier
// message ids into keys that match across submit_sm_resp and the receipt.
//
// # Where a receipt comes from
//
// A deliver_sm (or data_sm) with esm_class bit 0x04 set carries a receipt;
// telling it from a mobile-originated message by esm_class is the caller's
// job, and [Looks] helps when a carrier does not set the bit. The receipt is
// read from two places:
//
//  1. the optional TLVs receipted_message_id (0x001E), message_state (0x0427)
//     and network_error_code (0x0423), passed in [TLVs];
//
//  2. the short_message text, in the de facto format of SMPP 3.4 Appendix B:
//
//     id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
//
// When both are present the TLVs win, field by field: the id from
// receipted_message_id and the state from message_state replace the text's
// id: and stat:, because the TLVs are typed and the text is free-form. The
// text still supplies the dates, counts, err: and text:.
//
// # Tolerance
//
// Carriers send many variants of the text, and all of these are accepted:
// keys and stat values in any case; "submit_date" / "submitdate" spellings;
// missing sub:, dlvrd:, dates, err: or text:; dates of 10 (YYMMDDhhmm), 12
// (YYMMDDhhmmss) or 14 (YYYYMMDDhhmmss) digits, read in the carrier's
// location given by the caller (two-digit years are 2000-2099); unknown
// key:value fields and fields in any order; several spaces or tabs between
// fields and after a colon. Keys are recognised only at the start of a
// whitespace-separated token. text: takes the rest of the message, whatever
// it contains (even "stat:"), once id: and stat: have been seen; if either
// comes only after text:, text ends where the next known key starts. When a
// key appears twice the first one counts. A malformed date or count is left
// unset rather than failing the receipt: the state is what matters.
//
// # Result classes
//
// As Kannel does: DELIVRD is success; ACCEPTD, ENROUTE, BUFFRED (and ACKED)
// are intermediate, not final; EXPIRED, DELETED, UNDELIV, REJECTD, UNKNOWN and
// any stat value not listed here are failure. message_state values map the
// same way: 1 ENROUTE, 2 DELIVERED, 3 EXPIRED, 4 DELETED, 5 UNDELIVERABLE,
// 6 ACCEPTED, 7 UNKNOWN, 8 REJECTED (and SMPP 5.0's 0 SCHEDULED, 9 SKIPPED).
//
// # Message id keys
//
// A carrier often writes the id of one message differently in submit_sm_resp
// and in the receipt: hex in one and decimal in the other, zero-padded, or in
// another case. Each side is described by an [IDFormat] from the carrier's
// settings, and [Normalize] maps both to one key:
//
//   - Leading and trailing spaces, tabs and NULs are removed.
//   - Hex: an optional 0x prefix is dropped; if what remains is one or more
//     hex digits, the key is those digits in lower case without leading
//     zeros ("0" for zero). Any length is accepted.
//   - Decimal: if the id is one or more decimal digits, the key is the same
//     number written in lower-case hex without leading zeros; numbers too big
//     for uint64 are converted exactly as well.
//   - As-is, or a hex/decimal id that is not a number: the trimmed id, with
//     leading zeros removed if TrimZeros is set (one "0" is kept if nothing
//     else remains, and a "0" before a blank stays, so a key never starts
//     with a blank) and ASCII letters lower-cased if FoldCase is set. A key
//     is its own key.
//
// So a numeric id gets the same key whichever base each side uses: hex
// "0x0A1B", hex "00a1b" and decimal "2587" are all "a1b".
package receipt
