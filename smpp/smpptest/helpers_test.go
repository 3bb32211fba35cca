package smpptest_test

import (
	"bufio"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// esme is a bare client driven by the test, one PDU at a time.
type esme struct {
	t   *testing.T
	nc  net.Conn
	rd  *pdu.Reader
	seq uint32
}

func start(t *testing.T, cfg smpptest.Config) *smpptest.Server {
	t.Helper()
	srv, err := smpptest.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, srv *smpptest.Server) *esme {
	t.Helper()
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &esme{t: t, nc: nc, rd: pdu.NewReader(bufio.NewReader(nc), 0)}
}

func (e *esme) send(cmd pdu.CommandID, body pdu.Body) uint32 {
	e.t.Helper()
	e.seq++
	b, err := (&pdu.PDU{Header: pdu.Header{Command: cmd, Sequence: e.seq}, Body: body}).AppendTo(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.nc.Write(b); err != nil {
		e.t.Fatal(err)
	}
	return e.seq
}

func (e *esme) respond(p *pdu.PDU) {
	e.t.Helper()
	q := &pdu.PDU{Header: pdu.Header{Command: p.Command.Response(), Sequence: p.Sequence}}
	if p.Command == pdu.DeliverSMID {
		q.Body = &pdu.DeliverSMResp{}
	}
	b, err := q.AppendTo(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.nc.Write(b); err != nil {
		e.t.Fatal(err)
	}
}

func (e *esme) read() *pdu.PDU {
	e.t.Helper()
	p, err := e.rd.Read()
	if err != nil {
		e.t.Fatalf("read: %v", err)
	}
	return p
}

func (e *esme) bind(kind pdu.CommandID, id, pw string) pdu.Status {
	e.t.Helper()
	return e.bindAs(kind, id, pw, "")
}

// bindAs binds with a system_type, as one of several instances of an ESME
// on one host.
func (e *esme) bindAs(kind pdu.CommandID, id, pw, systemType string) pdu.Status {
	e.t.Helper()
	seq := e.send(kind, &pdu.Bind{Kind: kind, SystemID: id, Password: pw, SystemType: systemType, InterfaceVersion: 0x34})
	p := e.read()
	for p.Command == pdu.EnquireLinkID {
		// A server that sends enquire_link often (EnquireLinkEvery) may
		// send one before a busy machine has answered the bind.
		e.respond(p)
		p = e.read()
	}
	if p.Command != kind.Response() || p.Sequence != seq {
		e.t.Fatalf("bind answered with %s seq %d", p.Command, p.Sequence)
	}
	return p.Status
}

func (e *esme) submit(registered bool) uint32 {
	e.t.Helper()
	sm := &pdu.SubmitSM{
		Source:       pdu.Address{Addr: "15884954"},
		Dest:         pdu.Address{Addr: "01012345678"},
		ShortMessage: []byte("hello"),
	}
	if registered {
		sm.RegisteredDelivery = 1
	}
	return e.send(pdu.SubmitSMID, sm)
}

// manualClock fires AfterFunc callbacks only when the test says so.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []func()
	delays  []time.Duration // of each callback in pending
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, f)
	c.delays = append(c.delays, d)
	return func() bool { return false }
}

// waitPending waits until n callbacks are scheduled and returns them.
func (c *manualClock) waitPending(t *testing.T, n int) []func() {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		p := append([]func(){}, c.pending...)
		c.mu.Unlock()
		if len(p) >= n {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callbacks scheduled, want %d", len(p), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// delay is the delay callback i was scheduled with.
func (c *manualClock) delay(i int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delays[i]
}

// receipts reads n deliver_sm, answers each, and returns the message ids
// they report.
func (e *esme) receipts(n int) map[string]bool {
	got := map[string]bool{}
	for range n {
		d := e.read()
		id, _ := d.Body.(*pdu.DeliverSM).TLVs.ReceiptedMessageID()
		got[id] = true
		e.respond(d)
	}
	return got
}
