package logcap

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

func TestCut(t *testing.T) {
	for in, want := range map[string]string{
		"demo":                      "demo",
		"a\nlevel=ERROR msg=forged": "a?level=ERROR msg=forged",
		strings.Repeat("x", 65000):  strings.Repeat("x", MaxField) + "…(65000 bytes)",
		strings.Repeat("가", 30):     strings.Repeat("가", 21) + "…(90 bytes)",
		"bad\xffutf8":               "bad?utf8",
	} {
		if got := Cut(in); got != want {
			t.Errorf("Cut(%.20q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimiterPerSourceAndEvent(t *testing.T) {
	set := metrics.NewSet()
	l := NewLimiter(set, "test", 1, 3)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	a, b := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	n := 0
	for range 100 {
		if l.Allow("bind_refused", a) {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d lines of 100 allowed with burst 3", n)
	}
	if !l.Allow("bind_refused", b) {
		t.Fatal("another source's line suppressed by the first source's flood")
	}
	if !l.Allow("other_event", a) {
		t.Fatal("another event's line suppressed")
	}
	// The same IPv6 /64 is one source.
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	for range 3 {
		l.Allow("e", v6a)
	}
	if l.Allow("e", v6b) {
		t.Fatal("a second address of one /64 has a budget of its own")
	}
	var w bytes.Buffer
	set.WritePrometheus(&w)
	if !strings.Contains(w.String(), `relay_log_lines_suppressed_total{component="test",event="bind_refused"} 97`) {
		t.Fatalf("suppressed not counted:\n%s", w.String())
	}
}

func TestLimiterBounded(t *testing.T) {
	l := NewLimiter(metrics.NewSet(), "test", 1, 1)
	l.maxKeys = 50
	for i := range 1000 {
		l.Allow("e", netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	if n := len(l.mu.by); n > 51 {
		t.Fatalf("%d entries, bound 50", n)
	}
}
