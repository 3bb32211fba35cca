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

// newCall makes a call.
func newCall() *call { return &call{done: make(chan struct{}, 1)} }

// getCall takes a spare call of b's, or makes one. Spares are kept per
// bind, not in a process-wide pool: a done channel made in one synctest
// bubble would not be durably blocking in another, and a bind lives in one.
func (b *bind) getCall() *call {
	b.spare.Lock()
	defer b.spare.Unlock()
	if n := len(b.spare.calls); n > 0 {
		cl := b.spare.calls[n-1]
		b.spare.calls[n-1] = nil
		b.spare.calls = b.spare.calls[:n-1]
		return cl
	}
	return newCall()
}

// putCall keeps cl for the next request. Only the caller that made the
// request puts it back, and only once nobody else can touch it: after it
// received on done, or when it was never registered with a conn. One left
// on its ctx is not put back (its resolver still sends on done).
func (b *bind) putCall(cl *call) {
	*cl = call{done: cl.done}
	b.spare.Lock()
	if len(b.spare.calls) < cap(b.win) {
		b.spare.calls = append(b.spare.calls, cl)
	}
	b.spare.Unlock()
}
