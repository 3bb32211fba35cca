package upstream

import (
	"bufio"
	"runtime"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 256<<10 {
		return // let a rare huge batch buffer go
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// send queues one frame for the writer.
func (c *conn) send(f *upstreampb.Frame) {
	b := getBuf()
	var err error
	if *b, err = AppendFrame(*b, f); err != nil {
		putBuf(b)
		c.log.Error("cannot encode frame", "err", err)
		return
	}
	c.srv.m.framesOut.Inc()
	c.out <- b
}

// writeLoop writes queued frames through one buffer and flushes when
// nothing more is queued, so a burst of answers goes out in few syscalls.
func (c *conn) writeLoop() {
	var bw *bufio.Writer // made at the first frame: an idle connection holds no write buffer
	timeout := c.srv.cfg.WriteTimeout
	failed := false
	armed := false
	for b := range c.out {
		if !failed {
			if bw == nil {
				bw = bufio.NewWriterSize(c.rw, 16<<10)
			}
			if !armed {
				c.raw.SetWriteDeadline(time.Now().Add(timeout))
				armed = true
			}
			if _, err := bw.Write(*b); err != nil {
				failed = true
				c.abort(err)
			}
		}
		putBuf(b)
		if !failed && len(c.out) == 0 {
			// Give the workers a chance to queue more before the syscall.
			runtime.Gosched()
			if len(c.out) > 0 {
				continue
			}
			if err := bw.Flush(); err != nil {
				failed = true
				c.abort(err)
			}
			armed = false
		}
	}
	if !failed && bw != nil {
		bw.Flush()
	}
}
