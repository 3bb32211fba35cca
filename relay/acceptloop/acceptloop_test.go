package acceptloop

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// script is a listener that answers Accept from a list: an error, or a
// connection.
type script struct {
	net.Listener
	errs   []error
	closed atomic.Bool
}

func (s *script) Accept() (net.Conn, error) {
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return nil, err
	}
	return s.Listener.Accept()
}

func sysErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

// TestWaitsOutFileLimits: EMFILE and ENFILE are waited out and the next
// connection is handed on; any other error ends Run with it; an error
// while closing ends it with ErrClosing.
func TestWaitsOutFileLimits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := &script{Listener: ln, errs: []error{sysErr(syscall.EMFILE), sysErr(syscall.ENFILE), sysErr(syscall.EMFILE)}}
	got := make(chan net.Conn, 1)
	l := &Loop{Closing: s.closed.Load, Handle: func(nc net.Conn) { got <- nc }}
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background(), s) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case nc := <-got:
		nc.Close()
	case err := <-done:
		t.Fatalf("Run ended on a file limit: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no connection handed on after the file limit passed")
	}
	s.closed.Store(true)
	ln.Close()
	if err := <-done; !errors.Is(err, ErrClosing) {
		t.Fatalf("Run after close: %v, want ErrClosing", err)
	}

	fatal := &script{Listener: ln, errs: []error{sysErr(syscall.EINVAL)}}
	l = &Loop{Closing: func() bool { return false }, Handle: func(nc net.Conn) { nc.Close() }}
	if err := l.Run(context.Background(), fatal); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Run on EINVAL: %v", err)
	}
}

// TestRemoteAddr: a TCP peer's address, unmapped; none for a connection
// whose address is no IP address and port.
func TestRemoteAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := RemoteAddr(c); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("TCP: %v, want 127.0.0.1", got)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := RemoteAddr(a); got.IsValid() {
		t.Errorf("pipe: %v, want none", got)
	}
}
