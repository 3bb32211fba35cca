package smpp

import (
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// call is one request waiting for its response. Whoever resolves it (the
// reader on a response, the keep-alive loop on a timeout, the connection on
// its death) sends exactly once on done and frees the window slot; the
// caller receives, or has gone away on its ctx.
type call struct {
	seq     uint32
	cmd     pdu.CommandID
	sent    time.Time
	windowd bool // holds a window slot
	done    chan struct{}
	resp    *pdu.PDU
	err     error
}

// newCall makes a call. Calls are not pooled: a pooled done channel made
// in one synctest bubble would not be durably blocking in another.
func newCall() *call { return &call{done: make(chan struct{}, 1)} }
