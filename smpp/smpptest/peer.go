package smpptest

import (
	"bufio"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// peer is one socket of the server: serve reads and answers, writeLoop is
// the only writer, and an optional loop sends the SMSC's enquire_link.
type peer struct {
	s    *Server
	nc   net.Conn
	out  chan outPDU
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	seq  atomic.Uint32

	halfOpen atomic.Bool
	n        int       // submit_sm on this socket; serve only
	secStart time.Time // TPS window; serve only
	secCount int

	mu struct {
		sync.Mutex
		systemID    string
		kind        pdu.CommandID
		esme        string                 // see esme
		outstanding map[uint32]outstanding // deliver_sm sent, not yet answered
		gone        bool                   // close has handed on outstanding: record no more
	}
}

type outPDU struct {
	p     *pdu.PDU
	close bool // close the socket once p is written
}

func newPeer(s *Server, nc net.Conn) *peer {
	return &peer{s: s, nc: nc, out: make(chan outPDU, 4096), done: make(chan struct{})}
}

func (p *peer) systemID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.systemID
}

// esme names the ESME the socket is of, as far as the SMSC can tell: the
// host it comes from and its bind's system_type, by which instances of
// an ESME on one host (relays of a cluster on loopback) tell themselves
// apart. Empty before the bind.
func (p *peer) esme() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.esme
}

func (p *peer) receives() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.kind == pdu.BindReceiverID || p.mu.kind == pdu.BindTransceiverID
}

func (p *peer) close(reset bool) {
	p.once.Do(func() {
		if tc, ok := p.nc.(*net.TCPConn); ok && reset {
			_ = tc.SetLinger(0)
		}
		close(p.done)
		_ = p.nc.Close()
		p.s.unbound(p)
		// Receipts sent and not answered go out again on the next bind,
		// as an SMSC that got no deliver_sm_resp does.
		p.mu.Lock()
		left := p.mu.outstanding
		p.mu.outstanding = nil
		p.mu.gone = true
		id := p.mu.systemID
		p.mu.Unlock()
		for _, o := range left {
			p.s.keepOrDrop(id, o.d)
		}
	})
}

// closed reports whether the socket is gone.
func (p *peer) closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// send queues q for the writer; false once the socket is closed.
func (p *peer) send(q *pdu.PDU) bool {
	if p.halfOpen.Load() {
		return false
	}
	select {
	case p.out <- outPDU{p: q}: // room in the queue: no need to watch done
		return true
	default:
	}
	select {
	case p.out <- outPDU{p: q}:
		return true
	case <-p.done:
		return false
	}
}

func (p *peer) request(cmd pdu.CommandID, body pdu.Body) bool {
	return p.send(&pdu.PDU{Header: pdu.Header{Command: cmd, Sequence: p.seq.Add(1)}, Body: body})
}

func (p *peer) serve() {
	defer p.s.wg.Done()
	defer p.s.gone(p)
	p.wg.Add(1)
	go p.writeLoop()
	if every := p.s.behavior().EnquireLinkEvery; every > 0 {
		p.wg.Add(1)
		go p.enquireLoop(every)
	}
	rd := pdu.NewReader(bufio.NewReaderSize(p.nc, 64<<10), 0)
	for {
		q, err := rd.Read()
		if err != nil {
			var de *pdu.DecodeError
			if errors.As(err, &de) && !de.Fatal && !p.halfOpen.Load() {
				p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.GenericNackID, Status: de.Status, Sequence: de.Header.Sequence}})
				continue
			}
			break
		}
		if !p.halfOpen.Load() {
			p.handle(q)
		}
	}
	p.close(false)
	p.wg.Wait()
}

func (p *peer) writeLoop() {
	defer p.wg.Done()
	w := bufio.NewWriterSize(p.nc, 64<<10)
	var buf []byte
	for {
		var o outPDU
		select {
		case o = <-p.out: // a PDU waiting: no need to watch done
		default:
			select {
			case o = <-p.out:
			case <-p.done:
				return
			}
		}
		var err error
		if buf, err = o.p.AppendTo(buf[:0]); err != nil {
			p.s.cfg.Logger.Error("smpptest: encode", "err", err)
			continue
		}
		if len(p.out) == 0 {
			runtime.Gosched() // let the batch grow before a write
		}
		if _, err = w.Write(buf); err == nil && (len(p.out) == 0 || o.close) {
			err = w.Flush()
		}
		if err != nil || o.close {
			p.close(false)
			return
		}
	}
}

func (p *peer) enquireLoop(every time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.request(pdu.EnquireLinkID, nil)
		case <-p.done:
			return
		}
	}
}

func (p *peer) handle(q *pdu.PDU) {
	switch q.Command {
	case pdu.BindTransceiverID, pdu.BindTransmitterID, pdu.BindReceiverID:
		p.bind(q)
	case pdu.SubmitSMID:
		p.submit(q)
	case pdu.QuerySMID:
		p.query(q)
	case pdu.CancelSMID:
		p.cancel(q)
	case pdu.DataSMID:
		p.data(q)
	case pdu.EnquireLinkID:
		p.s.enquires.Add(1)
		p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkRespID, Sequence: q.Sequence}})
	case pdu.UnbindID:
		select {
		case p.out <- outPDU{p: &pdu.PDU{Header: pdu.Header{Command: pdu.UnbindRespID, Sequence: q.Sequence}}, close: true}:
		case <-p.done:
		}
	case pdu.UnbindRespID:
		p.close(false)
	case pdu.DeliverSMRespID:
		p.delivered(q)
	case pdu.EnquireLinkRespID, pdu.GenericNackID:
	default:
		if !q.Command.IsResponse() {
			p.send(&pdu.PDU{Header: pdu.Header{Command: q.Command.Response(), Status: pdu.StatusInvCmdID, Sequence: q.Sequence}})
		}
	}
}

func (p *peer) bind(q *pdu.PDU) {
	b := q.Body.(*pdu.Bind)
	st := pdu.StatusOK
	want, known := p.s.cfg.Users[b.SystemID]
	switch {
	case p.systemID() != "":
		st = pdu.StatusAlyBnd
	case p.s.cfg.Users != nil && !known:
		st = pdu.StatusInvSysID
	case p.s.cfg.Users != nil && want != b.Password:
		st = pdu.StatusInvPaswd
	case !p.s.bound(p, b.SystemID):
		st = pdu.StatusAlyBnd
	}
	resp := &pdu.PDU{Header: pdu.Header{Command: q.Command.Response(), Status: st, Sequence: q.Sequence}}
	if st != pdu.StatusOK {
		p.s.bindsRefused.Add(1)
		p.send(resp)
		return
	}
	host := p.nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	p.mu.Lock()
	p.mu.systemID, p.mu.kind, p.mu.esme = b.SystemID, q.Command, host+" "+b.SystemType
	p.mu.Unlock()
	p.s.binds.Add(1)
	resp.Body = &pdu.BindResp{Kind: q.Command.Response(), SystemID: "smpptest"}
	p.send(resp)
	if p.receives() {
		p.s.goKept(p)
	}
}
