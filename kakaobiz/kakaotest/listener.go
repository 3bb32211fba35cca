package kakaotest

import (
	"net"
	"sync"
	"sync/atomic"
)

// countingListener counts open connections and remembers the most that
// were ever open at once.
type countingListener struct {
	net.Listener
	open, max, total atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.total.Add(1)
	n := l.open.Add(1)
	for {
		m := l.max.Load()
		if n <= m || l.max.CompareAndSwap(m, n) {
			break
		}
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	var err error
	c.once.Do(func() {
		c.l.open.Add(-1)
		err = c.Conn.Close()
	})
	return err
}

// reset closes the connection with an RST instead of a FIN.
func (c *countedConn) reset() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
