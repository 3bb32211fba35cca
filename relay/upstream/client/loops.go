package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	*b = (*b)[:0]
	bufPool.Put(b)
}

// readLoop reads the relay's frames until the connection ends.
func (c *Client) readLoop() {
	// One frame is read into again and again (Read resets it), until an
	// answer hands it to a waiting caller: a report and a SubmitAsync
	// answer keep only what the frame points to.
	f := new(upstreampb.Frame)
	for {
		if err := c.fr.Read(f); err != nil {
			c.mu.Lock()
			closing := c.mu.closing
			c.mu.Unlock()
			if closing {
				err = ErrClosed
			} else {
				err = fmt.Errorf("upstream/client: read: %w", err)
			}
			c.fail(err)
			return
		}
		if r := f.GetReport(); r != nil {
			c.mu.Lock()
			c.mu.reports = append(c.mu.reports, r)
			c.mu.Unlock()
			select {
			case c.reportSignal <- struct{}{}:
			default:
			}
			continue
		}
		if c.answer(f) {
			f = new(upstreampb.Frame)
		}
	}
}

// writeLoop writes queued frames and flushes when the queue is empty.
func (c *Client) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	for {
		var b *[]byte
		select {
		case b = <-c.out: // queued: no need to watch done
		default:
			select {
			case b = <-c.out:
			case <-c.done:
				return
			}
		}
		_, err := bw.Write(*b)
		putBuf(b)
		if err == nil && len(c.out) == 0 {
			// Let the other callers queue theirs first: one write
			// then carries many submits.
			runtime.Gosched()
			if len(c.out) == 0 {
				err = bw.Flush()
			}
		}
		if err != nil {
			c.fail(fmt.Errorf("upstream/client: write: %w", err))
			return
		}
	}
}

// reportLoop hands reports to OnReport in order and acknowledges them.
func (c *Client) reportLoop() {
	for {
		select {
		case <-c.reportSignal:
		case <-c.done:
			return
		}
		c.mu.Lock()
		batch := c.mu.reports
		c.mu.reports = nil
		c.mu.Unlock()
		seqs := make([]uint64, 0, len(batch))
		for _, r := range batch {
			if c.opt.OnReport != nil {
				c.opt.OnReport(r)
			}
			seqs = append(seqs, r.ReportSeq)
		}
		if c.opt.OnReport == nil || !c.opt.ManualAck {
			if err := c.Ack(seqs...); err != nil {
				return
			}
		}
	}
}

// pingLoop pings every PingInterval; a ping not answered within the next
// interval ends the connection.
func (c *Client) pingLoop() {
	t := time.NewTicker(c.opt.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-c.done:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.opt.PingInterval)
		err := c.Ping(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			c.fail(fmt.Errorf("upstream/client: no pong within %v", c.opt.PingInterval))
			return
		}
	}
}
