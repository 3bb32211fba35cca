package pdu

import (
	"errors"
	"fmt"
)

// Sentinel errors. A decoding failure is reported as a *DecodeError that
// wraps one of these, so callers classify it with errors.Is.
var (
	// ErrCommandLength: command_length is below HeaderLen, above the
	// configured maximum, or disagrees with the bytes given.
	ErrCommandLength = errors.New("smpp/pdu: invalid command_length")
	// ErrUnknownCommand: command_id is not a command of SMPP 3.4.
	ErrUnknownCommand = errors.New("smpp/pdu: unknown command_id")
	// ErrTruncated: the mandatory fields run past the end of the PDU.
	ErrTruncated = errors.New("smpp/pdu: truncated body")
	// ErrBadCString: a C-Octet string is unterminated or longer than its
	// SMPP 3.4 maximum.
	ErrBadCString = errors.New("smpp/pdu: invalid C-Octet string")
	// ErrShortMessage: sm_length runs past the body or is over 254.
	ErrShortMessage = errors.New("smpp/pdu: invalid sm_length")
	// ErrBadTLV: the optional parameters are malformed, or a known one has a
	// length or value the specification does not allow.
	ErrBadTLV = errors.New("smpp/pdu: invalid optional parameter")
	// ErrBadField: a mandatory field holds a value this package refuses to
	// encode or decode (a short message over 254 octets, a bad dest_flag…).
	ErrBadField = errors.New("smpp/pdu: invalid field")
	// ErrUnexpectedBody: a PDU that has no body (enquire_link, unbind…) came
	// with one, or was given one to encode.
	ErrUnexpectedBody = errors.New("smpp/pdu: unexpected body")
	// ErrCommandMismatch: Header.Command and Body.CommandID() disagree.
	ErrCommandMismatch = errors.New("smpp/pdu: header command_id does not match body")
)

// DecodeError is returned by Decode and Reader.Read for a malformed PDU.
//
// Header holds whatever of the header could be read (the sequence number to
// answer with, when the length was sane). Status is the command_status to
// send back: in a generic_nack when the command is unknown, a response, or
// Fatal; otherwise in the request's own *_resp. Fatal means the stream's
// framing cannot be trusted (command_length out of range): answer if you
// like, then close the connection.
type DecodeError struct {
	Header Header
	Status Status
	Fatal  bool
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%v (%s, seq %d, %s)", e.Err, e.Header.Command, e.Header.Sequence, e.Status)
}

// Unwrap returns the sentinel the error wraps.
func (e *DecodeError) Unwrap() error { return e.Err }

// fieldError is a body decoding failure before the header is attached.
type fieldError struct {
	status Status
	err    error
}

func errField(status Status, sentinel error, field string) *fieldError {
	return &fieldError{status: status, err: fmt.Errorf("%w: %s", sentinel, field)}
}

// Reply returns the PDU to send back for the malformed one: the request's
// own *_resp when the command is a known request with a response and the
// framing held, generic_nack otherwise; both carry e.Status and the
// sequence number, and no body.
func (e *DecodeError) Reply() *PDU {
	cmd := GenericNackID
	if !e.Fatal && e.Header.Command.Known() && !e.Header.Command.IsResponse() {
		cmd = e.Header.Command.Response()
	}
	return &PDU{Header: Header{Command: cmd, Status: e.Status, Sequence: e.Header.Sequence}}
}
