// Package pdu encodes and decodes SMPP 3.4 protocol data units: every PDU an
// ESME or an SMSC exchanges, their optional parameters (TLVs), and the
// command_status codes. It does no I/O beyond reading a stream in Reader and
// knows nothing of sessions, windows or text encodings.
//
// # Header
//
// Every PDU starts with a 16-octet header, big-endian (HeaderLen):
//
//	 0               4               8               12              16
//	+---------------+---------------+---------------+---------------+
//	|command_length | command_id    |command_status |sequence_number|
//	|   uint32      |  uint32       |   uint32      |   uint32      |
//	+---------------+---------------+---------------+---------------+
//	|<------------------ command_length octets, header included ------...
//
// command_length counts the whole PDU, header included, so it is at least 16.
// A reader checks it against a configured maximum (DefaultMaxLen when none is
// given) before it allocates anything; a length out of range means the
// stream's framing is lost, and the DecodeError says Fatal.
// command_id has bit 31 set in responses (CommandID.IsResponse);
// command_status is zero in requests.
//
// # Body
//
// The body is a fixed sequence of mandatory fields, each an Integer (1 or 4
// octets), a C-Octet string (ASCII, NUL-terminated, with a maximum length
// per field, NUL included) or an Octet string whose length comes from the
// field before it (sm_length, 0..254, then short_message):
//
//	submit_sm / deliver_sm
//	+--------------+-----+-----+-------------+-----+-----+------------------+
//	| service_type | ton | npi | source_addr | ton | npi | destination_addr | ...
//	|  cstr  <= 6  |  1  |  1  |  cstr <= 21 |  1  |  1  |    cstr <= 21    |
//	+--------------+-----+-----+-------------+-----+-----+------------------+
//	+-----------+-------------+---------------+----------+----------+
//	| esm_class | protocol_id | priority_flag | schedule | validity | ...
//	|     1     |      1      |       1       | cstr <=17| cstr <=17|
//	+-----------+-------------+---------------+----------+----------+
//	+------------+---------+-------------+-------------------+-----------+---------------+------+
//	| registered | replace | data_coding | sm_default_msg_id | sm_length | short_message | TLVs |
//	|     1      |    1    |      1      |         1         |     1     | sm_length oct | ...  |
//	+------------+---------+-------------+-------------------+-----------+---------------+------+
//
// The body types (SubmitSM, DeliverSM, Bind, …) hold the fields by name,
// and the command ids take an ID suffix (SubmitSMID, DeliverSMID) so that
// both can be named plainly;
// lengths that follow from the data (sm_length, number_of_dests,
// no_unsuccess, command_length) are not stored but computed on encode and
// checked on decode.
//
// # Optional parameters (TLVs)
//
// After the mandatory fields come zero or more TLVs, until command_length:
//
//	 0       2       4
//	+-------+-------+---------------------+
//	|  tag  | length|  value              |
//	|uint16 |uint16 |  length octets      |
//	+-------+-------+---------------------+
//
// Tags (Tag) are part of the wire format. TLVs keeps them in their encoded
// form, in wire order, so unknown tags survive a decode and re-encode byte for
// byte; typed accessors read and write the common ones. A stream that does
// not tile the rest of the body is ESME_RINVOPTPARSTREAM; a known tag with
// the wrong length is ESME_RINVPARLEN.
//
// # Errors
//
// A malformed PDU never panics: Decode and Reader.Read return a *DecodeError
// carrying the header, the command_status to answer with (ESME_RINVCMDLEN,
// ESME_RINVCMDID, ESME_RINVMSGLEN, ESME_RINVOPTPARSTREAM, a field's own code
// such as ESME_RINVSRCADR…), whether the stream must be closed, and a
// package sentinel for errors.Is.
//
// # Memory
//
// A decoded PDU costs one allocation: a block holding the PDU, its body
// struct and a copy of the body, into which all strings and slices of the
// result point. A body longer than 256 octets is copied into a second
// allocation of its own. Strings are made over the copy without a second
// copy; the package never writes to that buffer again, and slices handed out
// (ShortMessage, TLV values) have their capacity clipped so an append cannot
// reach the bytes behind them. Encoding with AppendTo into a buffer with room
// allocates nothing.
package pdu
