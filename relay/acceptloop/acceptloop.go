// Package acceptloop is the accept loop of every door that takes TCP
// connections (the upstream protocol, the SMPP server): it hands each
// connection on, and waits out the accept errors that pass (a timeout, or
// the process or system at its file limit, which closing connections
// cures) with a backoff from 5 ms doubling to 1 s, instead of ending the
// server.
package acceptloop

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrClosing is what Run returns when the server was closing as Accept
// failed: the server's own close, not a fault.
var ErrClosing = errors.New("acceptloop: closing")

// Backoff bounds: part of the loop's documented behaviour.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Loop is one server's accept loop.
type Loop struct {
	// Closing reports whether the server is closing; an Accept error then
	// ends Run with ErrClosing.
	Closing func() bool
	// Handle takes each accepted connection; it must not block for long.
	Handle func(net.Conn)
	// Log, if set, gets a warning for each error waited out.
	Log *slog.Logger
}

// Run accepts on ln until it fails for good or the server closes; ctx
// ends a backoff early (the server's stop).
func (l *Loop) Run(ctx context.Context, ln net.Listener) error {
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if l.Closing() {
				return ErrClosing
			}
			if !passing(err) {
				return err
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			if l.Log != nil {
				l.Log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
			}
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
			continue
		}
		backoff = 0
		l.Handle(nc)
	}
}

// RemoteAddr is the address nc's peer connects from, an IPv4 one unmapped;
// the zero Addr when nc's is no IP address and port.
func RemoteAddr(nc net.Conn) netip.Addr {
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(nc.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// passing reports an accept error worth waiting out: a timeout, or the
// process or the system at its file limit.
func passing(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() ||
		errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}
