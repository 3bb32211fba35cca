package authguard

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestGuard(cfg Config) (*Guard, *clock) {
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	cfg.Now = c.now
	return New(cfg), c
}

func admit(t *testing.T, g *Guard, a Attempt) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return g.Admit(ctx, a)
}

func TestSource(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7/32",
		"::ffff:192.0.2.7":     "192.0.2.7/32",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
	} {
		if got := Source(netip.MustParseAddr(in)).String(); got != want {
			t.Errorf("Source(%s) = %s, want %s", in, got, want)
		}
	}
}

// One account's failures at a source never refuse another account there.
func TestFailuresPerAccountAndSource(t *testing.T) {
	g, clk := newTestGuard(Config{FailRate: 0.1, FailBurst: 3})
	src := netip.MustParseAddr("127.0.0.1")
	a := Attempt{Account: "a", Src: src}
	for range 3 {
		if err := admit(t, g, a); err != nil {
			t.Fatal(err)
		}
		g.Failed(a)
	}
	if err := admit(t, g, a); !errors.Is(err, ErrThrottled) {
		t.Fatalf("4th try of a: %v", err)
	}
	if err := admit(t, g, Attempt{Account: "b", Src: src}); err != nil {
		t.Fatalf("b refused for a's failures: %v", err)
	}
	// Another address in the same IPv6 /64 is the same source.
	v6 := Attempt{Account: "a", Src: netip.MustParseAddr("2001:db8::1")}
	for range 3 {
		g.Failed(v6)
	}
	if err := admit(t, g, Attempt{Account: "a", Src: netip.MustParseAddr("2001:db8::ffff:2")}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("same /64: %v", err)
	}
	clk.t = clk.t.Add(11 * time.Second)
	if err := admit(t, g, a); err != nil {
		t.Fatalf("after refill: %v", err)
	}
}

// Guesses at one account from many sources are throttled, but the
// account's known sources still pass.
func TestAccountWideThrottleSparesKnownSources(t *testing.T) {
	g, _ := newTestGuard(Config{AccountFailRate: 0.01, AccountFailBurst: 10})
	home := Attempt{Account: "demo", Src: netip.MustParseAddr("127.0.0.2")}
	g.Succeeded(home)
	checked := 0
	for i := range 500 {
		a := Attempt{Account: "demo", Src: netip.AddrFrom4([4]byte{127, 0, 1, byte(i % 100)})}
		if admit(t, g, a) == nil {
			checked++
			g.Failed(a)
		}
	}
	if checked > 10 {
		t.Fatalf("%d of 500 guesses from 100 sources checked, want ≤ 10", checked)
	}
	if err := admit(t, g, home); err != nil {
		t.Fatalf("known source refused: %v", err)
	}
	if err := admit(t, g, Attempt{Account: "other", Src: netip.MustParseAddr("127.0.1.5")}); err != nil {
		t.Fatalf("another account refused: %v", err)
	}
}

// The global budget bounds checks; a check that could not get a token before
// the deadline is refused at once rather than held.
func TestCheckBudget(t *testing.T) {
	g, _ := newTestGuard(Config{CheckRate: 1, CheckBurst: 5})
	n := 0
	for i := range 50 {
		if admit(t, g, Attempt{Account: "x" + string(rune('a'+i)), Src: netip.MustParseAddr("127.0.0.1")}) == nil {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("%d checks admitted with a burst of 5 and a frozen clock", n)
	}
	home := Attempt{Account: "demo", Src: netip.MustParseAddr("127.0.0.2")}
	g.Succeeded(home)
	if err := admit(t, g, home); err != nil {
		t.Fatalf("known source waits behind strangers: %v", err)
	}
}

// The tables stay bounded under a flood of accounts.
func TestTablesBounded(t *testing.T) {
	g, _ := newTestGuard(Config{MaxKeys: 100, CheckBurst: 1 << 20, CheckRate: 1 << 20})
	for i := range 1000 {
		a := Attempt{Account: "u" + string(rune(0x4e00+i)), Src: netip.MustParseAddr("127.0.0.1")}
		g.Failed(a)
		g.Succeeded(a)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.mu.fails) > 100 || len(g.mu.account) > 100 || len(g.mu.known) > 100 {
		t.Fatalf("tables %d %d %d, bound 100", len(g.mu.fails), len(g.mu.account), len(g.mu.known))
	}
}

// A credential known from a source passes that source's failure bucket.
func TestKnownCredentialPassesSourceBucket(t *testing.T) {
	g, _ := newTestGuard(Config{FailBurst: 2})
	src := netip.MustParseAddr("127.0.0.1")
	good := Attempt{Known: "tok:good", Src: src}
	g.Succeeded(good)
	for range 5 {
		g.Failed(Attempt{Known: "tok:guess", Src: src})
	}
	if err := admit(t, g, Attempt{Known: "tok:other", Src: src}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a new credential at a failing source: %v", err)
	}
	if err := admit(t, g, good); err != nil {
		t.Fatalf("the known credential: %v", err)
	}
}
