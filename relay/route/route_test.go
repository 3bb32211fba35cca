package route

import (
	"errors"
	"sync"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

type liveSet struct {
	mu sync.Mutex
	up map[string]bool
}

func (l *liveSet) live(n string) bool { l.mu.Lock(); defer l.mu.Unlock(); return l.up[n] }
func (l *liveSet) set(n string, v bool) {
	l.mu.Lock()
	l.up[n] = v
	l.mu.Unlock()
}

func newRouter(t *testing.T, live *liveSet, cfgs ...Config) *Router {
	t.Helper()
	known := map[string]bool{"a": true, "b": true, "c": true}
	for i := range cfgs {
		if err := cfgs[i].Validate(known); err != nil {
			t.Fatal(err)
		}
	}
	r, err := New(cfgs, live.live)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWeightsAreExactInEveryWindow(t *testing.T) {
	live := &liveSet{up: map[string]bool{"a": true, "b": true}}
	r := newRouter(t, live, Config{Carriers: []Weighted{{"a", 3}, {"b", 1}}})
	for w := 0; w < 10; w++ {
		n := map[string]int{}
		for i := 0; i < 4; i++ {
			c, err := r.Pick(message.ProductSMS, "01012345678")
			if err != nil {
				t.Fatal(err)
			}
			n[c]++
		}
		if n["a"] != 3 || n["b"] != 1 {
			t.Fatalf("window %d: %v, want a=3 b=1", w, n)
		}
	}
}

func TestFailover(t *testing.T) {
	live := &liveSet{up: map[string]bool{"a": false, "b": false, "c": true}}
	r := newRouter(t, live, Config{Carriers: []Weighted{{"a", 1}, {"b", 1}}, Failover: []string{"c"}})
	if c, err := r.Pick(message.ProductSMS, "01012345678"); err != nil || c != "c" {
		t.Fatalf("got %q, %v; want failover c", c, err)
	}
	live.set("c", false)
	if _, err := r.Pick(message.ProductSMS, "01012345678"); !errors.Is(err, ErrNoLiveCarrier) {
		t.Fatalf("err = %v, want ErrNoLiveCarrier", err)
	}
	live.set("b", true)
	for i := 0; i < 5; i++ {
		if c, _ := r.Pick(message.ProductSMS, "01012345678"); c != "b" {
			t.Fatalf("got %q, want the only live weighted carrier b", c)
		}
	}
}

func TestRulesMatchProductAndPrefix(t *testing.T) {
	live := &liveSet{up: map[string]bool{"a": true, "b": true, "c": true}}
	r := newRouter(t, live,
		Config{Products: []string{"lms"}, Carriers: []Weighted{{"c", 1}}},
		Config{Prefixes: []string{"011", "016"}, Carriers: []Weighted{{"b", 1}}},
		Config{Products: []string{"sms"}, Prefixes: []string{"010"}, Carriers: []Weighted{{"a", 1}}},
	)
	cases := []struct {
		p    message.Product
		to   string
		want string
	}{
		{message.ProductLMS, "01012345678", "c"},
		{message.ProductSMS, "0111234567", "b"},
		{message.ProductSMS, "01012345678", "a"},
	}
	for _, c := range cases {
		got, err := r.Pick(c.p, c.to)
		if err != nil || got != c.want {
			t.Errorf("Pick(%v, %s) = %q, %v; want %q", c.p, c.to, got, err, c.want)
		}
	}
	if _, err := r.Pick(message.ProductSMS, "0171234567"); !errors.Is(err, ErrNoRule) {
		t.Errorf("err = %v, want ErrNoRule", err)
	}
}

func TestValidate(t *testing.T) {
	known := map[string]bool{"a": true}
	bad := []Config{
		{},
		{Carriers: []Weighted{{"x", 1}}},
		{Carriers: []Weighted{{"a", -1}}},
		{Carriers: []Weighted{{"a", 1}}, Products: []string{"alimtalk"}},
		{Carriers: []Weighted{{"a", 1}}, Prefixes: []string{"01x"}},
		{Carriers: []Weighted{{"a", 1}}, Failover: []string{"zz"}},
	}
	for i, c := range bad {
		if err := c.Validate(known); err == nil {
			t.Errorf("case %d: Validate accepted %+v", i, c)
		}
	}
}

func BenchmarkPick(b *testing.B) {
	live := func(string) bool { return true }
	r, _ := New([]Config{{Carriers: []Weighted{{"a", 3}, {"b", 1}}}}, live)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Pick(message.ProductSMS, "01012345678"); err != nil {
			b.Fatal(err)
		}
	}
}
