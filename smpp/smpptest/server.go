// Package smpptest is a simulated SMSC for tests and benchmarks, shaped like
// net/http/httptest: NewServer listens on 127.0.0.1, Addr says where, Close
// stops it. It accepts binds, answers submit_sm with unique ids, sends
// delivery receipts, and misbehaves on purpose when its Behavior says so:
// late, dropped or nacked answers, throttling bursts, sockets closed or
// reset mid-window, half-open sockets, duplicate or early receipts, its own
// enquire_link and unbind.
//
// Memory is bounded (Config.MaxRecorded, Config.MaxPending) and the
// failure mix is repeatable from Config.Seed. The server's goroutines run
// with the pprof label part=simulator, so a CPU profile of a process that
// also holds the relay under test can tell the two apart.
package smpptest

import (
	"context"
	"math/rand/v2"
	"net"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// Server is a simulated SMSC.
type Server struct {
	cfg Config
	ln  net.Listener
	wg  sync.WaitGroup
	ids atomic.Uint64

	binds, bindsRefused, submits, throttled atomic.Int64
	receipts, receiptsDropped, deliverAcks  atomic.Int64
	receiptsOtherESME, receiptsOwnESME      atomic.Int64
	deliverNacks, enquires, redelivered     atomic.Int64
	subjects                                atomic.Int64

	mu struct {
		sync.Mutex
		closed    bool
		peers     map[*peer]struct{}
		open      map[string]int // bound sockets per system_id
		maxOpen   map[string]int // high-water mark of open
		behavior  Behavior
		rnd       *rand.Rand
		recorded  []Submitted
		states    map[string]pdu.MessageState // for query_sm, cancel_sm
		oldStates map[string]pdu.MessageState // the generation before states
		timers    map[uint64]func() bool
		timerID   uint64
		// due are the receipts among the timers, by timer id, for
		// CloseKeeping.
		due map[uint64]dueReceipt

		// kept holds receipts per system_id that found no bound receiver,
		// or whose socket closed before their deliver_sm_resp; the next
		// receiving bind of the system_id gets them, or one already up
		// after RedeliverDelay (flushing: that retry is scheduled).
		kept     map[string][]*pdu.DeliverSM
		nKept    int
		flushing map[string]bool
	}
}

// Submitted is one submit_sm the server received, for assertions.
type Submitted struct {
	SystemID  string
	MessageID string
	SM        *pdu.SubmitSM
	// Subject is the value of the Config.SubjectTag TLV as sent (in the
	// submit's data_coding); nil when the submit carried none.
	Subject []byte
}

// Stats are the server's counters.
type Stats struct {
	Binds, BindsRefused    int64
	Submits, Throttled     int64
	Receipts, ReceiptsDrop int64 // receipts sent; dropped (no receiver, MaxPending)
	// ReceiptsOtherESME and ReceiptsOwnESME split the receipts whose
	// first send went out: on a socket of another ESME than their
	// submit's (another host, or another system_type on one host), or of
	// the same.
	ReceiptsOtherESME, ReceiptsOwnESME int64
	ReceiptsKept                       int64 // receipts waiting for a bind now
	DeliverAcks                        int64 // deliver_sm_resp with ESME_ROK
	DeliverNacks                       int64 // deliver_sm_resp with an error status
	Redelivered                        int64 // receipts sent again after a refusal
	EnquireLinks                       int64 // enquire_link received
	Subjects                           int64 // submits that carried an LMS subject (Config.SubjectTag)
	Open                               int   // bound sockets now
}

// NewServer starts a server on 127.0.0.1, port chosen by the system.
func NewServer(cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := NewUnstarted(cfg)
	s.Start(ln)
	return s, nil
}

// NewUnstarted makes a server that serves only what Start or ServeConn
// hands it (net.Pipe ends, for tests on fake time).
func NewUnstarted(cfg Config) *Server {
	s := &Server{cfg: cfg.withDefaults()}
	s.ids.Store(s.cfg.IDStart - 1)
	s.mu.peers = make(map[*peer]struct{})
	s.mu.open = make(map[string]int)
	s.mu.maxOpen = make(map[string]int)
	s.mu.behavior = s.cfg.Behavior
	s.mu.rnd = rand.New(rand.NewPCG(s.cfg.Seed, s.cfg.Seed+1))
	s.mu.timers = make(map[uint64]func() bool)
	return s
}

// Start accepts connections from ln until Close.
func (s *Server) Start(ln net.Listener) {
	s.ln = ln
	s.wg.Add(1)
	go labelled(func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.ServeConn(nc)
		}
	})
}

// ServeConn serves one connection in the background.
func (s *Server) ServeConn(nc net.Conn) {
	p := newPeer(s, nc)
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		_ = nc.Close()
		return
	}
	s.mu.peers[p] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go labelled(p.serve)
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, closes every socket, cancels pending receipts and
// waits for every goroutine of the server.
func (s *Server) Close() { s.close() }

func (s *Server) close() (due []dueReceipt, kept map[string][]*pdu.DeliverSM) {
	s.mu.Lock()
	s.mu.closed = true
	peers := make([]*peer, 0, len(s.mu.peers))
	for p := range s.mu.peers {
		peers = append(peers, p)
	}
	timers := s.mu.timers
	s.mu.timers = map[uint64]func() bool{}
	for _, rc := range s.mu.due {
		due = append(due, rc)
	}
	s.mu.due = nil
	kept = s.mu.kept
	s.mu.kept, s.mu.nKept = nil, 0
	s.mu.Unlock()
	if s.ln != nil {
		_ = s.ln.Close()
	}
	for _, stop := range timers {
		// Removed from the map, the callback will not run f nor call Done.
		stop()
		s.wg.Done()
	}
	for _, p := range peers {
		p.close(false)
	}
	s.wg.Wait()
	return due, kept
}

// SetBehavior changes the misbehaviour for every socket, from now on.
func (s *Server) SetBehavior(b Behavior) {
	s.mu.Lock()
	s.mu.behavior = b
	s.mu.Unlock()
}

func (s *Server) behavior() Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.behavior
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	open := 0
	for _, n := range s.mu.open {
		open += n
	}
	s.mu.Unlock()
	return Stats{
		Binds: s.binds.Load(), BindsRefused: s.bindsRefused.Load(),
		Submits: s.submits.Load(), Throttled: s.throttled.Load(),
		Receipts: s.receipts.Load(), ReceiptsDrop: s.receiptsDropped.Load(), ReceiptsKept: s.keptNow(),
		ReceiptsOtherESME: s.receiptsOtherESME.Load(), ReceiptsOwnESME: s.receiptsOwnESME.Load(),
		DeliverAcks: s.deliverAcks.Load(), DeliverNacks: s.deliverNacks.Load(),
		Redelivered:  s.redelivered.Load(),
		EnquireLinks: s.enquires.Load(), Subjects: s.subjects.Load(), Open: open,
	}
}

// OpenSockets is the number of bound sockets of systemID now, and the most
// there have been at once.
func (s *Server) OpenSockets(systemID string) (now, most int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.open[systemID], s.mu.maxOpen[systemID]
}

// Submitted returns the last submits received (at most MaxRecorded).
func (s *Server) Submitted() []Submitted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Submitted(nil), s.mu.recorded...)
}

// Kick closes every socket bound as systemID, as a carrier dropping links.
func (s *Server) Kick(systemID string) int {
	s.mu.Lock()
	var ps []*peer
	for p := range s.mu.peers {
		if p.systemID() == systemID {
			ps = append(ps, p)
		}
	}
	s.mu.Unlock()
	for _, p := range ps {
		p.close(false)
	}
	return len(ps)
}

func (s *Server) record(sub Submitted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.mu.recorded) >= s.cfg.MaxRecorded {
		n := copy(s.mu.recorded, s.mu.recorded[len(s.mu.recorded)/2:])
		clear(s.mu.recorded[n:])
		s.mu.recorded = s.mu.recorded[:n]
	}
	s.mu.recorded = append(s.mu.recorded, sub)
}

// bound registers p as bound as systemID; false if over MaxBinds.
func (s *Server) bound(p *peer, systemID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxBinds > 0 && s.mu.open[systemID] >= s.cfg.MaxBinds {
		return false
	}
	s.mu.open[systemID]++
	s.mu.maxOpen[systemID] = max(s.mu.maxOpen[systemID], s.mu.open[systemID])
	return true
}

func (s *Server) gone(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mu.peers, p)
}

// unbound takes p out of the open count the moment its socket closes.
func (s *Server) unbound(p *peer) {
	if id := p.systemID(); id != "" {
		s.mu.Lock()
		s.mu.open[id]--
		s.mu.Unlock()
	}
}

// failNext draws whether the next receipt reports a failure.
func (s *Server) failNext() bool {
	if s.cfg.FailRatio <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.rnd.Float64() < s.cfg.FailRatio
}

// receiver picks the socket a receipt for a submit on from goes to: from
// itself while it is open and can receive (unless elsewhere), otherwise
// another open receiving socket of the same system_id (elsewhere: one of
// another ESME when there is one), otherwise from.
func (s *Server) receiver(from *peer, elsewhere bool) *peer {
	if from.receives() && !elsewhere && !from.closed() {
		return from
	}
	if elsewhere {
		if p := s.boundReceiver(from.systemID(), from, from.esme()); p != nil {
			return p
		}
	}
	if p := s.boundReceiver(from.systemID(), from, ""); p != nil {
		return p
	}
	if from.receives() {
		return from
	}
	return nil
}

// boundReceiver is a bound socket of systemID, other than except and not
// of ESME notESME (when set), that takes receipts; nil when there is none.
func (s *Server) boundReceiver(systemID string, except *peer, notESME string) *peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.mu.peers {
		if p != except && p.receives() && !p.closed() && p.systemID() == systemID && (notESME == "" || p.esme() != notESME) {
			return p
		}
	}
	return nil
}

// schedule runs f after delay, counted in the server's WaitGroup.
func (s *Server) schedule(delay time.Duration, f func()) bool {
	return s.scheduleReceipt(delay, nil, f)
}

// scheduleReceipt is schedule for a receipt: rc, when set, is kept with
// the timer so that CloseKeeping can hand the receipt on.
func (s *Server) scheduleReceipt(delay time.Duration, rc *dueReceipt, f func()) bool {
	s.mu.Lock()
	if s.mu.closed || len(s.mu.timers) >= s.cfg.MaxPending {
		s.mu.Unlock()
		return false
	}
	s.mu.timerID++
	id := s.mu.timerID
	s.wg.Add(1)
	s.mu.timers[id] = func() bool { return false }
	if rc != nil {
		if s.mu.due == nil {
			s.mu.due = map[uint64]dueReceipt{}
		}
		rc.at = s.cfg.Clock.Now().Add(delay)
		s.mu.due[id] = *rc
	}
	stop := s.cfg.Clock.AfterFunc(delay, func() { s.fire(id, f) })
	s.mu.timers[id] = stop
	s.mu.Unlock()
	return true
}

// fire runs the scheduled f of timer id unless the server stopped it.
func (s *Server) fire(id uint64, f func()) {
	pprof.SetGoroutineLabels(simLabels)
	defer pprof.SetGoroutineLabels(context.Background())
	s.mu.Lock()
	_, live := s.mu.timers[id]
	delete(s.mu.timers, id)
	delete(s.mu.due, id)
	s.mu.Unlock()
	if live {
		defer s.wg.Done()
		f()
	}
}

// keep holds a receipt of systemID for its next receiving bind, within
// MaxPending; false if there was no room. A receiving bind already up
// gets it after RedeliverDelay (flushKept): a socket that closed with the
// receipt unanswered must not strand it while its siblings stay bound.
func (s *Server) keep(systemID string, d *pdu.DeliverSM) bool {
	s.mu.Lock()
	if s.mu.closed || systemID == "" || s.mu.nKept >= s.cfg.MaxPending {
		s.mu.Unlock()
		return false
	}
	if s.mu.kept == nil {
		s.mu.kept = map[string][]*pdu.DeliverSM{}
	}
	if s.mu.flushing == nil {
		s.mu.flushing = map[string]bool{}
	}
	s.mu.kept[systemID] = append(s.mu.kept[systemID], d)
	s.mu.nKept++
	flush := !s.mu.flushing[systemID]
	s.mu.flushing[systemID] = true
	s.mu.Unlock()
	if flush && !s.schedule(s.cfg.RedeliverDelay, func() { s.flushKept(systemID) }) {
		s.mu.Lock()
		delete(s.mu.flushing, systemID)
		s.mu.Unlock()
	}
	return true
}

// flushKept hands systemID's kept receipts to a receiving bind that is up,
// if there is one; otherwise the next bind takes them (goKept).
func (s *Server) flushKept(systemID string) {
	s.mu.Lock()
	delete(s.mu.flushing, systemID)
	s.mu.Unlock()
	if p := s.boundReceiver(systemID, nil, ""); p != nil {
		s.handOver(p)
	}
}

func (s *Server) keptNow() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.mu.nKept)
}

// handOver sends p, just bound to receive, the receipts kept for its
// system_id.
func (s *Server) handOver(p *peer) {
	id := p.systemID()
	s.mu.Lock()
	ds := s.mu.kept[id]
	delete(s.mu.kept, id)
	s.mu.nKept -= len(ds)
	s.mu.Unlock()
	for i, d := range ds {
		if !p.deliver(d, 0) { // deliver kept d
			for _, d := range ds[i+1:] {
				s.keepOrDrop(id, d)
			}
			return
		}
		s.receipts.Add(1)
	}
}

// goKept runs handOver for p on its own goroutine, counted in the
// server's WaitGroup: a full socket must not stall p's reader.
func (s *Server) goKept(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed || s.mu.nKept == 0 {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.handOver(p)
	}()
}

// route sends a receipt of a submit that came on from. The receiver is
// chosen when the receipt goes out, as an SMSC that stores receipts does:
// the submitting socket may have gone (the ESME restarted) while another
// bind of the same system_id is up. With no receiver up, or one that
// closes before the receipt is written, the receipt is kept for the next
// bind (see keep). It reports whether the receipt went out, and on
// which socket.
func (s *Server) route(from *peer, d *pdu.DeliverSM, attempt int, elsewhere bool) (to *peer, sent bool) {
	to = s.receiver(from, elsewhere)
	if to == nil || to.closed() {
		s.keepOrDrop(from.systemID(), d)
		return nil, false
	}
	return to, to.deliver(d, attempt) // keeps d itself if it cannot write it
}

// keepOrDrop keeps a receipt that could not go out, or counts it dropped.
func (s *Server) keepOrDrop(systemID string, d *pdu.DeliverSM) {
	if s.behavior().DropUnbound || !s.keep(systemID, d) {
		s.receiptsDropped.Add(1)
	}
}
