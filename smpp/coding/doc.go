// Package coding turns text into the octets an SMPP 3.4 short_message carries
// and back, measures text in the unit each limit counts, and splits long text
// into concatenated parts.
//
// # Codings
//
// The data_coding octet names the alphabet of short_message:
//
//	0x00  SMSC default: GSM 03.38 7-bit alphabet, one septet per octet
//	0x01  IA5 (ASCII)
//	0x03  ISO-8859-1 (Latin-1)
//	0x08  UCS2, carried as UTF-16BE; runes above U+FFFF take a surrogate pair
//	0x0E  KS C 5601, i.e. EUC-KR bytes (the Unified Hangul Code superset, so
//	      every one of the 11,172 Hangul syllables is two bytes)
//
// GSM 03.38 characters outside the basic table are sent as an escape pair:
//
//	+------+------+
//	| 0x1B | ext  |    e.g. '€' = 1B 65, '[' = 1B 3C, '{' = 1B 28
//	+------+------+
//
// SMPP carries GSM text unpacked (one septet in the low seven bits of each
// octet); [PackSeptets] and [UnpackSeptets] convert to and from the packed
// air-interface form when a caller needs it.
//
// A rune a coding cannot represent is reported as an [*UnencodableError] that
// names the rune, its character index and its byte offset in the input; it is
// never replaced by '?'.
//
// # Measuring
//
// [EUCKRLen] counts EUC-KR bytes, the unit of the Korean SMS (80/90 bytes) and
// LMS (2,000 bytes) limits; [CharLen] counts runes, the unit Kakao counts.
// Neither allocates.
//
// # Segmentation
//
// [Split] cuts a text into parts that each fit one short_message. Limits are
// given in octets of encoded payload as SMPP carries it, so for GSM one octet
// is one septet. A concatenated part carries one of:
//
//	8-bit reference UDH (6 octets), IEI 0x00:
//	+------+------+------+------+-------+-----+
//	| UDHL | IEI  | IEDL | ref  | total | seq |
//	| 0x05 | 0x00 | 0x03 |  1   |   1   |  1  |
//	+------+------+------+------+-------+-----+
//
//	16-bit reference UDH (7 octets), IEI 0x08:
//	+------+------+------+-----------+-------+-----+
//	| UDHL | IEI  | IEDL |    ref    | total | seq |
//	| 0x06 | 0x08 | 0x04 | 2, big-e. |   1   |  1  |
//	+------+------+------+-----------+-------+-----+
//
// or no UDH at all and the reference, total and sequence number for the
// sar_msg_ref_num, sar_total_segments and sar_segment_seqnum TLVs. A part
// never ends inside a surrogate pair, a GSM escape pair or an EUC-KR double
// byte: Split only cuts between runes. [ParseUDH] reads the header back from
// a received short_message.
package coding
