package client

import (
	"errors"
	"fmt"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Errors of the client. A refused bind and an Error frame from the relay
// come as *StatusError, which matches ErrRefused with errors.Is.
var (
	ErrClosed  = errors.New("upstream/client: connection closed")
	ErrRefused = errors.New("upstream/client: refused by the relay")
	ErrBadSeq  = errors.New("upstream/client: answer of the wrong kind")
)

// StatusError is the relay's refusal of a bind or of a frame.
type StatusError struct {
	Op     string // "bind" or the operation an Error frame answered
	Status upstreampb.Status
	Reason string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("upstream/client: %s refused: %s: %s", e.Op, e.Status, e.Reason)
}

func (e *StatusError) Is(target error) bool { return target == ErrRefused }

// Temporary reports whether the same request may succeed later.
func (e *StatusError) Temporary() bool {
	switch e.Status {
	case upstreampb.Status_STORE_UNAVAILABLE, upstreampb.Status_SHUTTING_DOWN, upstreampb.Status_THROTTLED:
		return true
	}
	return false
}
