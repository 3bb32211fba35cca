package loopback

import (
	"net"
	"testing"
)

// TestBelowTheEphemeralRange: every address handed out is on 127.0.0.1,
// below the range the kernel picks outgoing ports from, free to listen on,
// and Ports gives distinct ones.
func TestBelowTheEphemeralRange(t *testing.T) {
	lo := ephemeralLow()
	if lo <= first+1000 {
		t.Skipf("ephemeral range starts at %d: nothing below it to hand out", lo)
	}
	ports, err := Ports(20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < first || p >= lo {
			t.Errorf("port %d outside [%d, %d)", p, first, lo)
		}
		if seen[p] {
			t.Errorf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	addr, err := Addr()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the address handed out is not free: %v", err)
	}
	ln.Close()
	if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
		t.Errorf("address %s is not on 127.0.0.1", addr)
	}
}
