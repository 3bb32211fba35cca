package smpp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// conn is one bound socket. It runs four kinds of goroutines, all waited
// for in wait: the reader (decodes, correlates responses, answers the
// SMSC's requests), the writer (the only one that writes to the socket;
// batches through a bufio.Writer flushed when its queue is empty), the
// keep-alive loop (enquire_link, dead-peer detection, response timeouts)
// and the deliver_sm handler workers. The first failure closes done and
// the socket and resolves every pending call with ErrConnLost.
type conn struct {
	b     *bind
	nc    net.Conn
	br    *bufio.Reader // under rd: what it has buffered is read already
	rd    *pdu.Reader
	out   chan frame
	deliv chan *pdu.PDU
	done  chan struct{}
	ctx   context.Context // canceled with done; handed to handlers
	stop  context.CancelFunc
	wg    sync.WaitGroup

	lastRead atomic.Int64 // unix nanoseconds of the last PDU read

	mu struct {
		sync.Mutex
		pending map[uint32]*call
		err     error // why the conn died; non-nil once dead
	}
}

func newConn(b *bind, nc net.Conn, br *bufio.Reader, rd *pdu.Reader) *conn {
	c := &conn{
		b:     b,
		nc:    nc,
		br:    br,
		rd:    rd,
		out:   make(chan frame, b.cfg.Window+b.cfg.HandlerQueue+16),
		deliv: make(chan *pdu.PDU, b.cfg.HandlerQueue),
		done:  make(chan struct{}),
	}
	c.ctx, c.stop = context.WithCancel(context.Background())
	c.mu.pending = make(map[uint32]*call, b.cfg.Window)
	c.lastRead.Store(time.Now().UnixNano())
	return c
}

// start runs the connection's goroutines.
func (c *conn) start() {
	c.wg.Add(3)
	go c.readLoop()
	go c.writeLoop()
	go c.keepAlive()
	if c.b.receives() {
		for range c.b.cfg.HandlerWorkers {
			c.wg.Add(1)
			go c.handleLoop()
		}
	}
}

// wait blocks until every goroutine of the conn has returned.
func (c *conn) wait() { c.wg.Wait() }

// fail kills the conn once: closes the socket and fails the pending calls.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.mu.err != nil {
		c.mu.Unlock()
		return
	}
	c.mu.err = err
	pending := c.mu.pending
	c.mu.pending = nil
	c.mu.Unlock()
	c.b.dropConn(c)
	close(c.done)
	c.stop()
	_ = c.nc.Close()
	for _, cl := range pending {
		c.b.finish(cl, nil, &RequestError{Command: cl.cmd, Sequence: cl.seq, Err: ErrConnLost})
	}
}

// send encodes p, registers cl (if not nil) and queues p for the writer.
// The caller's body is not touched after send returns.
func (c *conn) send(p *pdu.PDU, cl *call) error {
	f, err := encode(p)
	if err != nil {
		return err
	}
	if cl != nil {
		c.mu.Lock()
		if c.mu.err != nil {
			c.mu.Unlock()
			f.free()
			return errNotSent
		}
		cl.seq, cl.cmd, cl.sent = p.Sequence, p.Command, time.Now()
		c.mu.pending[p.Sequence] = cl
		c.mu.Unlock()
	}
	select {
	case c.out <- f: // room in the queue: no need to watch done
		return nil
	default:
	}
	select {
	case c.out <- f:
		return nil
	case <-c.done:
		// fail resolves cl if it was registered before the conn died.
		f.free()
		return nil
	}
}

// resolve hands a response to the call waiting for its sequence number.
func (c *conn) resolve(seq uint32, p *pdu.PDU, err error) bool {
	c.mu.Lock()
	cl, ok := c.mu.pending[seq]
	if ok {
		delete(c.mu.pending, seq)
	}
	c.mu.Unlock()
	if ok {
		c.b.finish(cl, p, err)
	}
	return ok
}

func (c *conn) writeLoop() {
	defer c.wg.Done()
	w := bufio.NewWriterSize(c.nc, 64<<10)
	for {
		var f frame
		select {
		case f = <-c.out: // a frame waiting: no need to watch done
		default:
			select {
			case f = <-c.out:
			case <-c.done:
				return
			}
		}
		if f.b == nil { // closeFrame
			_ = w.Flush()
			c.fail(errClosedByUs)
			return
		}
		_, err := w.Write(*f.b)
		f.free()
		if err != nil {
			c.fail(err)
			return
		}
		if len(c.out) == 0 {
			// Give submitters one scheduling round to add to the batch:
			// fewer, fuller writes are what makes the link fast.
			runtime.Gosched()
		}
		if len(c.out) == 0 {
			if err := w.Flush(); err != nil {
				c.fail(err)
				return
			}
		}
	}
}

func (c *conn) readLoop() {
	defer c.wg.Done()
	n := 0
	for {
		p, err := c.rd.Read()
		if err != nil {
			var de *pdu.DecodeError
			if errors.As(err, &de) {
				c.b.m.malformed.Inc()
				c.b.logErr("smpp: malformed PDU", err)
				if !de.Fatal {
					c.answerMalformed(de)
					continue
				}
				// The framing is lost: say why, then close.
				c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.GenericNackID, Status: de.Status, Sequence: de.Header.Sequence}})
				c.queue(frame{})
				return
			}
			c.fail(err)
			return
		}
		if !c.dispatch(p) {
			return
		}
		// The PDUs of one socket read are read in the same instant: the
		// time is taken once they are handled, when the next Read goes to
		// the socket (and every 64 PDUs of an unending stream).
		if n++; c.br.Buffered() == 0 || n%64 == 0 {
			c.lastRead.Store(time.Now().UnixNano())
		}
	}
}

// answerMalformed answers a PDU the decoder refused, with the status the
// decoder chose: in the request's own *_resp when the command is a known
// request, in generic_nack otherwise. A response we cannot read still
// answers its request, as an error.
func (c *conn) answerMalformed(de *pdu.DecodeError) {
	h := de.Header
	switch {
	case h.Command.IsResponse():
		c.resolve(h.Sequence, nil, de)
	case h.Command.Known() && h.Command.Response() != pdu.GenericNackID:
		c.reply(&pdu.PDU{Header: pdu.Header{Command: h.Command.Response(), Status: de.Status, Sequence: h.Sequence}})
	default:
		c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.GenericNackID, Status: de.Status, Sequence: h.Sequence}})
	}
}

// reply queues a PDU that expects no answer.
func (c *conn) reply(p *pdu.PDU) {
	f, err := encode(p)
	if err != nil {
		c.b.logErr("smpp: cannot encode reply", err)
		return
	}
	c.queue(f)
}

func (c *conn) queue(f frame) {
	select {
	case c.out <- f: // room in the queue: no need to watch done
		return
	default:
	}
	select {
	case c.out <- f:
	case <-c.done:
		f.free()
	}
}

// dispatch handles one PDU read; false ends the reader.
func (c *conn) dispatch(p *pdu.PDU) bool {
	switch cmd := p.Command; {
	case cmd.IsResponse():
		if !c.resolve(p.Sequence, p, nil) {
			c.b.logLate(p)
		}
	case cmd == pdu.EnquireLinkID:
		c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkRespID, Sequence: p.Sequence}})
	case cmd == pdu.DeliverSMID:
		if !c.b.receives() {
			c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMRespID, Status: pdu.StatusInvBnd, Sequence: p.Sequence}})
			return true
		}
		select {
		case c.deliv <- p:
		default:
			// Workers and queue are full: refuse for now rather than stop
			// reading, which would hold up submit_sm_resp too. The SMSC
			// delivers again later; nothing is lost.
			c.b.m.deliverBusy.Inc()
			c.b.logErr("smpp: deliver_sm queue full, answering ESME_RX_T_APPN", errDeliverBusy)
			c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMRespID, Status: pdu.StatusRxTAppn, Sequence: p.Sequence}})
		}
	case cmd == pdu.UnbindID:
		c.reply(&pdu.PDU{Header: pdu.Header{Command: pdu.UnbindRespID, Sequence: p.Sequence}})
		c.b.log.Info("smpp: SMSC unbound", "bind", c.b.name)
		c.queue(frame{})
		return false
	case cmd == pdu.AlertNotificationID || cmd == pdu.OutbindID:
		// No response exists for these; nothing to do on a bound session.
	default:
		// A request an ESME does not serve (data_sm, query_sm… sent to us).
		c.reply(&pdu.PDU{Header: pdu.Header{Command: cmd.Response(), Status: pdu.StatusInvCmdID, Sequence: p.Sequence}})
	}
	return true
}

// errNotSent: the conn died before the request was registered; nothing
// was written, so the caller may wait for the next bind.
var errNotSent = errors.New("smpp: connection closed before sending")

// errClosedByUs: the conn was closed after an unbind from the SMSC or a
// PDU whose framing could not be trusted.
var errClosedByUs = errors.New("smpp: SMSC unbound or broke framing")

var errDeliverBusy = errors.New("smpp: deliver_sm handlers busy")
