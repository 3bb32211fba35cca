package smppserver

import (
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/msgrelay/relay/smpp"
)

// fileLimitListener fails its first n Accepts as a process at its file
// limit does (EMFILE), then accepts.
type fileLimitListener struct {
	net.Listener
	n atomic.Int32
}

func (l *fileLimitListener) Accept() (net.Conn, error) {
	if l.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestKeepsAcceptingAfterEMFILE: accepts that fail for want of file
// descriptors are waited out, not the end of the server: an ESME binds
// once descriptors are free again.
func TestKeepsAcceptingAfterEMFILE(t *testing.T) {
	h := newHarnessOn(t, Config{}, func(ln net.Listener) net.Listener {
		l := &fileLimitListener{Listener: ln}
		l.n.Store(3)
		return l
	})
	h.esme("demo", "demopass", smpp.BindTransceiver, nil)
}
