// Package loopback hands out loopback ports for tests and harnesses that
// name an address before anything listens on it: a server restarted on the
// same port, a cluster whose members must know each other's routes before
// the first starts, a child process given its listen address on the
// command line.
//
// Such a port comes from below the kernel's ephemeral range. A port the
// kernel gives for ":0" is one it also gives as the local end of outgoing
// connections, so between closing the probe and listening again any
// process's connect (or a TCP self-connect to that very port) may take it,
// and the listen fails with "address already in use". Below the range only
// another listener picking the same port at random can collide.
package loopback

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// first is the lowest port handed out: above the well-known ports and the
// relay's dev ports (7600–7699).
const first = 20000

// Listen listens on 127.0.0.1 at a free port below the ephemeral range.
// Where the range starts too low to leave room, it takes what the kernel
// gives.
func Listen() (net.Listener, error) {
	lo := ephemeralLow()
	if lo <= first+1000 {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	var err error
	for range 200 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+rand.IntN(lo-first))); err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("loopback: no free port below %d: %w", lo, err)
}

// Addr is a 127.0.0.1 address below the ephemeral range that nobody
// listens on now.
func Addr() (string, error) {
	ln, err := Listen()
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// TestAddr is Addr for a test, which it fails if there is none.
func TestAddr(t testing.TB) string {
	t.Helper()
	addr, err := Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Ports returns n distinct ports below the ephemeral range that nobody
// listens on now.
func Ports(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		ln, err := Listen()
		if err != nil {
			return nil, err
		}
		// Held until all are picked, so no two are the same.
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range, or
// Linux's default where it cannot be read.
func ephemeralLow() int {
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}
