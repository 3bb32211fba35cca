package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrTarget is returned for a report_url the policy refuses.
var ErrTarget = errors.New("webhook: target refused")

// guard is the SSRF policy of Config.
type guard struct {
	allowHTTP, allowLoopback, allowPrivate bool
	allow                                  []netip.Prefix
}

// checkURL refuses what can be refused before resolving: a scheme, and a
// literal address the policy refuses.
func (g *guard) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL without credentials", ErrTarget, raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && g.allowHTTP:
	default:
		return nil, fmt.Errorf("%w: %s: scheme %q (https only)", ErrTarget, raw, u.Scheme)
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		if err := g.checkAddr(a); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// checkAddr applies the policy to the address a connection goes to.
func (g *guard) checkAddr(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range g.allow {
		if p.Contains(a) {
			return nil
		}
	}
	switch {
	case !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast():
		return fmt.Errorf("%w: address %s", ErrTarget, a)
	case a.IsLoopback():
		if !g.allowLoopback {
			return fmt.Errorf("%w: loopback address %s", ErrTarget, a)
		}
	case a.IsPrivate() || a.IsLinkLocalUnicast() || cgnat.Contains(a):
		if !g.allowPrivate {
			return fmt.Errorf("%w: private or link-local address %s", ErrTarget, a)
		}
	}
	return nil
}

// cgnat is the shared address space of RFC 6598, private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// dialer connects only to addresses the policy allows: the check runs on
// the resolved address of each connection attempt, so DNS cannot point a
// permitted name at a refused address.
func (g *guard) dialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrTarget, address)
		}
		return g.checkAddr(ap.Addr())
	}}
	return d.DialContext
}
