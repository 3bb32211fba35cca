package smppserver

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/relay/acceptloop"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/pdu"
)

// submitFail is the status of a part whose siblings never came.
const submitFail = pdu.StatusSubmitFail

// conn is one ESME's socket. Its reader takes PDUs in order; submits go to
// a few workers that store them in batches and answer out of order; one
// writer owns the socket's write side.
type conn struct {
	srv    *Server
	nc     net.Conn
	rd     *pdu.Reader
	log    *slog.Logger
	remote netip.Addr
	src    netip.Prefix // remote's source for the pending budget
	// unpended is set (under Server.mu) once the connection left the
	// pending counts: its bind was decided or it closed.
	unpended bool

	ctx    context.Context // cancelled when the socket is closed at once
	cancel context.CancelFunc

	out       chan *[]byte  // encoded PDUs for the writer; nil flushes and closes
	done      chan struct{} // closed by close
	closeOnce sync.Once
	draining  atomic.Bool

	kind     pdu.CommandID // the bind command: transmitter, receiver or transceiver
	customer string        // set once bound

	slots    chan struct{} // one per submit read and not yet answered (the window)
	jobs     chan job
	seq      atomic.Uint32 // sequence numbers of the server's own requests
	lastRead atomic.Int64  // unix ns of the last PDU read

	mu struct {
		sync.Mutex
		pending    map[uint32]*request // the server's requests awaiting a response
		delivering int                 // deliver_sm among them
	}
}

// job is one message to store: a whole submit, or the joined parts of a
// concatenated one, answered on every target.
type job struct {
	targets []target
	req     door.Request
}

// request is a request the server sent and the function its response (nil
// when it never came) goes to.
type request struct {
	sent    time.Time
	deliver bool
	done    func(*pdu.PDU)
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv: s, nc: nc, rd: pdu.NewReader(nc, 0),
		out:   make(chan *[]byte, 256),
		done:  make(chan struct{}),
		slots: make(chan struct{}, s.cfg.Window),
		jobs:  make(chan job, s.cfg.Window),
	}
	c.remote = acceptloop.RemoteAddr(nc)
	c.log = s.log.With("remote", c.remote.String())
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	c.mu.pending = make(map[uint32]*request)
	return c
}

// serve runs the connection from bind to close.
func (c *conn) serve() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	defer func() {
		c.finish()
		<-writerDone
		c.close()
		c.cancel()
	}()
	if !c.bind() {
		return
	}
	defer c.srv.releaseBind(c.customer)
	var workers sync.WaitGroup
	if c.kind != pdu.BindReceiverID {
		for range c.srv.cfg.Workers {
			workers.Add(1)
			go func() {
				defer workers.Done()
				c.submitLoop()
			}()
		}
	}
	keepDone := make(chan struct{})
	stopKeep := make(chan struct{})
	go func() {
		defer close(keepDone)
		c.keepalive(stopKeep)
	}()
	if c.kind != pdu.BindTransmitterID {
		c.srv.joinPump(c)
	}
	unbound := c.readLoop()
	close(c.jobs)
	workers.Wait()
	if c.kind != pdu.BindTransmitterID {
		c.srv.leavePump(c)
	}
	close(stopKeep)
	<-keepDone
	c.failPending()
	if unbound != nil {
		c.send(unbound) // unbind_resp, after every submit is answered
	} else if c.draining.Load() {
		c.send(&pdu.PDU{Header: pdu.Header{Command: pdu.UnbindID, Sequence: c.nextSeq()}})
	}
}

// readLoop reads PDUs until the socket ends, the ESME unbinds (it returns
// the unbind_resp to send then) or the server drains.
func (c *conn) readLoop() *pdu.PDU {
	for {
		p := c.read()
		if p == nil {
			return nil
		}
		c.lastRead.Store(time.Now().UnixNano())
		switch p.Command {
		case pdu.EnquireLinkID:
			c.send(&pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkRespID, Sequence: p.Sequence}})
		case pdu.UnbindID:
			return &pdu.PDU{Header: pdu.Header{Command: pdu.UnbindRespID, Sequence: p.Sequence}}
		case pdu.UnbindRespID:
			return nil
		case pdu.SubmitSMID:
			if !c.submit(p, fieldsOfSubmit(p.Body.(*pdu.SubmitSM))) {
				return nil
			}
		case pdu.DataSMID:
			if !c.submit(p, fieldsOfData(p.Body.(*pdu.DataSM))) {
				return nil
			}
		case pdu.BindTransmitterID, pdu.BindReceiverID, pdu.BindTransceiverID:
			c.send(&pdu.PDU{Header: pdu.Header{Command: p.Command.Response(), Status: pdu.StatusAlyBnd, Sequence: p.Sequence}})
		case pdu.DeliverSMRespID, pdu.EnquireLinkRespID, pdu.GenericNackID:
			c.resolve(p)
		default:
			if !p.Command.IsResponse() {
				// query_sm, cancel_sm, replace_sm, submit_multi: not offered.
				c.send(&pdu.PDU{Header: pdu.Header{Command: pdu.GenericNackID, Status: pdu.StatusInvCmdID, Sequence: p.Sequence}})
			}
		}
	}
}

// read returns the next PDU that decodes, answering each one that does
// not (generic_nack or its command's response) and reading on past those
// the stream survives; nil when the socket ends or a PDU broke the stream.
func (c *conn) read() *pdu.PDU {
	for {
		p, err := c.rd.Read()
		if err == nil {
			return p
		}
		var de *pdu.DecodeError
		if !errors.As(err, &de) {
			return nil
		}
		c.send(de.Reply())
		if de.Fatal {
			return nil
		}
	}
}

// submit takes a window slot and handles one submit_sm or data_sm; false
// when the connection closed while it waited for the slot.
func (c *conn) submit(p *pdu.PDU, f submitFields) bool {
	select {
	case c.slots <- struct{}{}:
	case <-c.done:
		return false
	}
	t := target{c: c, seq: p.Sequence, cmd: p.Command}
	if c.kind == pdu.BindReceiverID {
		c.answer(t, pdu.StatusInvBnd, "")
		return true
	}
	now := c.srv.cfg.Now()
	pc, st := readSubmit(f, now)
	if st != pdu.StatusOK {
		c.answer(t, st, "")
		return true
	}
	targets := []target{t}
	if pc.part {
		m, st := c.srv.parts.add(c.customer, &pc, t, now)
		if st != pdu.StatusOK {
			c.answer(t, st, "")
			return true
		}
		if m == nil {
			return true // its answer waits for the whole message
		}
		pc.payload, targets = m.joined(), m.targets
	}
	req, st := pc.request()
	if st != pdu.StatusOK {
		for _, t := range targets {
			t.c.answer(t, st, "")
		}
		return true
	}
	select {
	case c.jobs <- job{targets: targets, req: req}:
		return true
	case <-c.done:
		return false
	}
}

// submitLoop stores the submits waiting, up to MaxBatch at a time, and
// answers each after its acceptance is durable.
func (c *conn) submitLoop() {
	be, maxBatch := c.srv.be, c.srv.cfg.MaxBatch
	var batch []job
	var subs []intake.Submit
	var results []intake.Result
	for j := range c.jobs {
		batch = append(batch[:0], j)
	more:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-c.jobs:
				if !ok {
					break more
				}
				batch = append(batch, j)
			default:
				break more
			}
		}
		subs = subs[:0]
		for _, j := range batch {
			subs = append(subs, intake.Submit{Request: j.req})
		}
		results = append(results[:0], make([]intake.Result, len(batch))...)
		be.Accept(c.ctx, c.customer, message.IngressSMPP, subs, results)
		for i, j := range batch {
			st, id := resultStatus(&results[i])
			if st != pdu.StatusOK && c.srv.logs.Allow("submit_refused", c.remote) {
				c.log.Debug("submit refused", "customer", c.customer, "status", st.String(), "reason", reason(&results[i]))
			}
			for _, t := range j.targets {
				t.c.answer(t, st, id)
			}
		}
		clear(batch)
		clear(subs)
	}
}

// resultStatus is the submit_sm_resp of an accept path's answer.
func resultStatus(r *intake.Result) (pdu.Status, string) {
	switch {
	case r.Err != nil:
		// Not stored (store failure, shutting down): the ESME sends it again.
		return pdu.StatusMsgQFul, ""
	case r.Refusal != nil:
		return refusalStatus(r.Refusal), ""
	case r.ID == 0:
		return pdu.StatusMsgQFul, "" // no answer: treated as not stored
	}
	return pdu.StatusOK, r.ID.String()
}

func reason(r *intake.Result) string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.Refusal != nil:
		return r.Refusal.Error()
	}
	return ""
}

// answer sends a submit's response and frees its window slot.
func (c *conn) answer(t target, st pdu.Status, id string) {
	var body pdu.Body = &pdu.SubmitSMResp{MessageID: id}
	if t.cmd == pdu.DataSMID {
		body = &pdu.DataSMResp{MessageID: id}
	}
	c.srv.m.submit(st)
	c.send(&pdu.PDU{Header: pdu.Header{Command: t.cmd.Response(), Status: st, Sequence: t.seq}, Body: body})
	select {
	case <-c.slots:
	default:
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// send queues p for the writer; false once the connection is closed.
func (c *conn) send(p *pdu.PDU) bool {
	b := bufPool.Get().(*[]byte)
	out, err := p.AppendTo((*b)[:0])
	if err != nil {
		c.log.Error("cannot encode a PDU", "command", p.Command.String(), "err", err)
		bufPool.Put(b)
		return false
	}
	*b = out
	select {
	case c.out <- b:
		return true
	case <-c.done:
		bufPool.Put(b)
		return false
	}
}

// writeLoop writes what send queued, flushing when nothing else waits,
// until finish or close.
func (c *conn) writeLoop() {
	w := bufio.NewWriterSize(c.nc, 16<<10)
	for {
		var b *[]byte
		select {
		case b = <-c.out:
		case <-c.done:
			return
		}
		if b == nil {
			_ = w.Flush()
			c.close()
			return
		}
		_, err := w.Write(*b)
		if cap(*b) <= 4<<10 {
			bufPool.Put(b)
		}
		if err == nil && len(c.out) == 0 {
			err = w.Flush()
		}
		if err != nil {
			c.close()
			return
		}
	}
}

// finish asks the writer to write what is queued and close.
func (c *conn) finish() {
	select {
	case c.out <- nil:
	case <-c.done:
	}
}

// close closes the socket at once.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.nc.Close()
	})
}

// drain makes the reader stop: what it has read is answered, then the
// server unbinds.
func (c *conn) drain() {
	c.draining.Store(true)
	_ = c.nc.SetReadDeadline(time.Now())
}

func (c *conn) nextSeq() uint32 {
	for {
		if s := c.seq.Add(1) & 0x7FFFFFFF; s != 0 {
			return s
		}
	}
}
