package smppserver

import (
	"errors"
	"io"
	"net"
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
	for range 10 {
		nc, err := d.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err = nc.Read(make([]byte, 1))
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			kept++ // still open, waiting for a bind
		case err != nil || errors.Is(err, io.EOF):
			reset++
		}
	}
	if kept != 4 || reset != 6 {
		t.Errorf("10 unbound sockets from one source: %d kept, %d closed; want 4 and 6", kept, reset)
	}
	h.esme("demo", "demopass", smpp.BindTransceiver, nil)
	h.esme("demo", "demopass", smpp.BindTransmitter, nil)
}
