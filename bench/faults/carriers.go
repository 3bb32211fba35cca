package faults

import (
	"fmt"
	"net"
	"sync"

	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// Carrier is a simulated SMSC on a fixed loopback port that can be taken
// down and brought back on the same port, as a carrier's outage. It lives
// in the test process, so it outlives a killed relay.
type Carrier struct {
	Name string
	addr string
	cfg  smpptest.Config

	mu struct {
		sync.Mutex
		srv  *smpptest.Server
		past []*smpptest.Server // servers of earlier Up calls, for counting
	}
}

// NewCarrier reserves a port and starts the SMSC on it.
func NewCarrier(name string, cfg smpptest.Config) (*Carrier, error) {
	ln, err := loopback.Listen()
	if err != nil {
		return nil, err
	}
	c := &Carrier{Name: name, addr: ln.Addr().String(), cfg: cfg}
	c.serve(ln)
	return c, nil
}

// NewCarrierDown reserves a port but leaves the SMSC down: connections to
// it are refused until Up.
func NewCarrierDown(name string, cfg smpptest.Config) (*Carrier, error) {
	ln, err := loopback.Listen()
	if err != nil {
		return nil, err
	}
	c := &Carrier{Name: name, addr: ln.Addr().String(), cfg: cfg}
	ln.Close()
	return c, nil
}

func (c *Carrier) serve(ln net.Listener) {
	s := smpptest.NewUnstarted(c.cfg)
	s.Start(ln)
	c.mu.Lock()
	c.mu.srv = s
	c.mu.Unlock()
}

// Addr is the SMSC's address, the same across Down and Up.
func (c *Carrier) Addr() string { return c.addr }

// Server is the SMSC now, nil while down.
func (c *Carrier) Server() *smpptest.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.srv
}

// Up starts the SMSC again on its port.
func (c *Carrier) Up() error {
	if c.Server() != nil {
		return nil
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("faults: carrier %s up: %w", c.Name, err)
	}
	c.serve(ln)
	return nil
}

// Down closes the SMSC and every socket to it.
func (c *Carrier) Down() {
	c.mu.Lock()
	s := c.mu.srv
	c.mu.srv = nil
	if s != nil {
		c.mu.past = append(c.mu.past, s)
	}
	c.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// Close takes the SMSC down for good.
func (c *Carrier) Close() { c.Down() }

// Submitted is every submit the SMSC recorded, over all its Up periods.
func (c *Carrier) Submitted() []smpptest.Submitted {
	c.mu.Lock()
	all := append([]*smpptest.Server(nil), c.mu.past...)
	if c.mu.srv != nil {
		all = append(all, c.mu.srv)
	}
	c.mu.Unlock()
	var out []smpptest.Submitted
	for _, s := range all {
		out = append(out, s.Submitted()...)
	}
	return out
}

// Stats sums the counters over every Up period.
func (c *Carrier) Stats() smpptest.Stats {
	c.mu.Lock()
	all := append([]*smpptest.Server(nil), c.mu.past...)
	if c.mu.srv != nil {
		all = append(all, c.mu.srv)
	}
	c.mu.Unlock()
	var t smpptest.Stats
	for _, s := range all {
		st := s.Stats()
		t.Binds += st.Binds
		t.BindsRefused += st.BindsRefused
		t.Submits += st.Submits
		t.Throttled += st.Throttled
		t.Receipts += st.Receipts
		t.ReceiptsDrop += st.ReceiptsDrop
		t.ReceiptsKept += st.ReceiptsKept
		t.ReceiptsOtherESME += st.ReceiptsOtherESME
		t.ReceiptsOwnESME += st.ReceiptsOwnESME
		t.Redelivered += st.Redelivered
		t.Subjects += st.Subjects
		t.DeliverAcks += st.DeliverAcks
		t.DeliverNacks += st.DeliverNacks
		t.EnquireLinks += st.EnquireLinks
		t.Open += st.Open
	}
	return t
}
