package smpp

import (
	"errors"
	"fmt"

	"github.com/msgrelay/relay/smpp/pdu"
)

// Sentinel errors of the session. A failing response status comes back as
// a pdu.Status (errors.As), wrapped in nothing else.
var (
	// ErrClosed: the session is closed or closing; nothing was sent.
	ErrClosed = errors.New("smpp: session closed")
	// ErrNotBound: FailFast is set and the bind is down; nothing was sent.
	ErrNotBound = errors.New("smpp: not bound")
	// ErrConnLost: the socket dropped while the request was in flight. The
	// SMSC may or may not have accepted it; the caller retries (and the
	// relay tolerates the possible duplicate, which it never bills twice).
	ErrConnLost = errors.New("smpp: connection lost")
	// ErrTimeout: no response within ResponseTimeout. As with ErrConnLost
	// the outcome at the SMSC is unknown.
	ErrTimeout = errors.New("smpp: response timeout")
	// ErrNoTransmitter: Submit on a receiver-only session.
	ErrNoTransmitter = errors.New("smpp: session has no transmitter bind")
	// ErrUnexpectedResp: the SMSC answered with a PDU of the wrong type.
	ErrUnexpectedResp = errors.New("smpp: unexpected response")
)

// RequestError is how ErrConnLost and ErrTimeout reach the caller: it names
// the command and sequence number and says the request may be retried.
type RequestError struct {
	Command  pdu.CommandID
	Sequence uint32
	Err      error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("%v (%s seq %d)", e.Err, e.Command, e.Sequence)
}

// Unwrap returns ErrConnLost or ErrTimeout.
func (e *RequestError) Unwrap() error { return e.Err }

// Temporary is true: the request can be retried, on this bind after the
// rebind or on another one.
func (e *RequestError) Temporary() bool { return true }

// Temporary reports whether err is worth retrying: a lost connection, a
// response timeout, an unbound session, or a status that says "later"
// (throttled, queue full, system error).
func Temporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		return true
	}
	if errors.Is(err, ErrNotBound) {
		return true
	}
	var st pdu.Status
	if errors.As(err, &st) {
		switch st {
		case pdu.StatusThrottled, pdu.StatusMsgQFul, pdu.StatusSysErr, pdu.StatusRxTAppn:
			return true
		}
	}
	return false
}
