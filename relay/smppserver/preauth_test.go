package smppserver

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
)

// Sockets that never bind are capped per source and in total, apart from
// bound connections: a flood from one source is reset at accept beyond its
// share and never keeps an ESME from another source out, even with
// max_conns bound connections as low as 2.
func TestPendingBudgetApartFromBinds(t *testing.T) {
	h := newHarness(t, Config{MaxConns: 2, MaxPendingPerSource: 4, BindTimeout: time.Minute})
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	var kept, reset int
	var open []net.Conn
	for range 10 {
		nc, err := d.Dial("tcp", h.addr)
		if errors.Is(err, syscall.ECONNRESET) {
			reset++ // reset before the dial returned
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		open = append(open, nc)
	}
	// A socket over the budget is reset at accept; one within it waits
	// for its bind (a minute). Ten seconds tell them apart even on a busy
	// machine (a reset that comes late would read as a socket kept), for all
	// of them at once.
	// (Read at once on each: a Read after its deadline has passed reports
	// a timeout without looking at the socket.)
	deadline := time.Now().Add(10 * time.Second)
	timedOut := make(chan bool, len(open))
	for _, nc := range open {
		go func() {
			_ = nc.SetReadDeadline(deadline)
			_, err := nc.Read(make([]byte, 1))
			var ne net.Error
			timedOut <- errors.As(err, &ne) && ne.Timeout()
		}()
	}
	for range open {
		if <-timedOut {
			kept++ // still open, waiting for a bind
		} else {
			reset++
		}
	}
	if kept != 4 || reset != 6 {
		t.Errorf("10 unbound sockets from one source: %d kept, %d closed; want 4 and 6", kept, reset)
	}
	h.esme("demo", "demopass", smpp.BindTransceiver, nil)
	h.esme("demo", "demopass", smpp.BindTransmitter, nil)
}
