package relay

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

func TestParseMemoryLimit(t *testing.T) {
	for in, want := range map[string]int64{
		"384MiB": 384 << 20, "1GiB": 1 << 30, "4096": 4096, "2048B": 2048,
		"64KiB": 64 << 10, "1TiB": 1 << 40, "off": math.MaxInt64,
	} {
		if got, err := parseMemoryLimit(in); err != nil || got != want {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "1.5GiB", "384MB", "MiB", "9999999TiB"} {
		if _, err := parseMemoryLimit(in); err == nil {
			t.Errorf("parseMemoryLimit(%q) took it", in)
		}
	}
}

func TestRuntimeConfigValidate(t *testing.T) {
	for _, c := range []struct {
		r    RuntimeConfig
		want string // "" is valid
	}{
		{RuntimeConfig{GCPercent: 400, MemoryLimit: "256MiB"}, ""},
		{RuntimeConfig{GCPercent: -1, MemoryLimit: "1GiB"}, ""},
		{RuntimeConfig{GCPercent: 100, MemoryLimit: "off"}, ""},
		{RuntimeConfig{GCPercent: -1, MemoryLimit: "off"}, "needs a memory_limit"},
		{RuntimeConfig{GCPercent: 5, MemoryLimit: "off"}, "gc_percent 5"},
		{RuntimeConfig{GCPercent: -2, MemoryLimit: "off"}, "gc_percent -2"},
		{RuntimeConfig{GCPercent: 100, MemoryLimit: "lots"}, "memory_limit"},
	} {
		err := c.r.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: Validate() = %v, want %q", c.r, err, c.want)
		}
	}
	var r RuntimeConfig
	r.setDefaults()
	if r.GCPercent != defaultGCPercent || r.MemoryLimit != defaultMemoryLimit || r.Validate() != nil {
		t.Errorf("defaults %+v do not hold", r)
	}
}

// TestRuntimeApply: the keys set the collector, and GOGC or GOMEMLIMIT in
// the environment wins over the key it names.
func TestRuntimeApply(t *testing.T) {
	gc0 := debug.SetGCPercent(100)
	limit0 := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(gc0); debug.SetMemoryLimit(limit0) })

	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	gc, limit, err := RuntimeConfig{GCPercent: 300, MemoryLimit: "300MiB"}.Apply(getenv)
	if err != nil || gc != 300 || limit != 300<<20 {
		t.Fatalf("Apply = %d, %d, %v; want 300, %d", gc, limit, err, 300<<20)
	}
	gc, limit, err = RuntimeConfig{}.Apply(getenv) // the defaults
	if want, _ := parseMemoryLimit(defaultMemoryLimit); err != nil || gc != defaultGCPercent || limit != want {
		t.Fatalf("Apply of the defaults = %d, %d, %v; want %d, %d", gc, limit, err, defaultGCPercent, want)
	}

	debug.SetGCPercent(150)
	debug.SetMemoryLimit(200 << 20)
	env["GOGC"], env["GOMEMLIMIT"] = "150", "200MiB" // what the runtime read at start
	gc, limit, err = RuntimeConfig{GCPercent: 300, MemoryLimit: "300MiB"}.Apply(getenv)
	if err != nil || gc != 150 || limit != 200<<20 {
		t.Fatalf("Apply under GOGC and GOMEMLIMIT = %d, %d, %v; want the environment's 150, %d", gc, limit, err, 200<<20)
	}

	if _, _, err := (RuntimeConfig{GCPercent: 3}).Apply(getenv); err == nil {
		t.Fatal("Apply took gc_percent 3")
	}
}
