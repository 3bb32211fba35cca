package smpp

import (
	"sync"
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

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

func getCall() *call { return callPool.Get().(*call) }

// putCall recycles c; only the caller that received on done may do so.
func putCall(c *call) {
	c.resp, c.err = nil, nil
	callPool.Put(c)
}
