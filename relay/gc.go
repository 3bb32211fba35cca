package relay

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// RuntimeConfig sets the Go garbage collector of relayd when it starts.
// The environment variables GOGC and GOMEMLIMIT, when set, win over these
// keys, as they do for any Go program.
type RuntimeConfig struct {
	// GCPercent is GOGC: how far, in percent of the live heap, the heap
	// grows before the next collection; -1 turns collections off, for use
	// with memory_limit only. Default 200: the relay's live heap is small
	// (Pebble's cache and memtables are outside the Go heap), and at 200
	// the bench spends about 5% less CPU per message than at Go's 100, for
	// some 40 MiB more; 400 gained no more (bench/README.md). GOGC in the
	// environment, when set, wins.
	GCPercent int `toml:"gc_percent"`
	// MemoryLimit is GOMEMLIMIT: a soft limit on the memory of the Go
	// runtime ("384MiB", "1GiB"; the units are B, KiB, MiB, GiB and TiB);
	// near it the collector runs as often as it must, whatever
	// gc_percent says. Pebble's block cache and memtables are not part of
	// it. "off" sets none. Default off: a limit under the live heap (a
	// backlog of a million messages is several hundred MiB) makes the
	// collector run without pause, and above it changed nothing measured.
	// GOMEMLIMIT in the environment, when set, wins.
	MemoryLimit string `toml:"memory_limit"`
}

// Defaults of RuntimeConfig.
const (
	defaultGCPercent   = 200
	defaultMemoryLimit = "off"
)

func (r *RuntimeConfig) setDefaults() {
	if r.GCPercent == 0 {
		r.GCPercent = defaultGCPercent
	}
	if r.MemoryLimit == "" {
		r.MemoryLimit = defaultMemoryLimit
	}
}

// Validate reports a setting the runtime cannot take.
func (r *RuntimeConfig) Validate() error {
	var errs []error
	if r.GCPercent < -1 || (r.GCPercent >= 0 && r.GCPercent < 10) {
		errs = append(errs, fmt.Errorf("runtime.gc_percent %d: want -1 (off) or 10 and over", r.GCPercent))
	}
	limit, err := parseMemoryLimit(r.MemoryLimit)
	if err != nil {
		errs = append(errs, fmt.Errorf("runtime.memory_limit: %w", err))
	}
	if r.GCPercent == -1 && limit == math.MaxInt64 {
		errs = append(errs, errors.New("runtime: gc_percent -1 needs a memory_limit, or the heap grows without end"))
	}
	return errors.Join(errs...)
}

// Apply sets the collector from r, leaving each setting the environment
// gives (getenv("GOGC"), getenv("GOMEMLIMIT")) as the runtime read it. It
// returns the GC percent and memory limit in force afterwards. Apply
// changes the whole process: relayd calls it once, before Start.
func (r RuntimeConfig) Apply(getenv func(string) string) (gcPercent int, memoryLimit int64, err error) {
	r.setDefaults()
	if err := r.Validate(); err != nil {
		return 0, 0, err
	}
	if getenv("GOMEMLIMIT") == "" {
		limit, _ := parseMemoryLimit(r.MemoryLimit)
		debug.SetMemoryLimit(limit)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(r.GCPercent)
	}
	gcPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	return gcPercent, debug.SetMemoryLimit(-1), nil
}

// parseMemoryLimit reads a size as GOMEMLIMIT writes it: an integer and a
// unit (B, KiB, MiB, GiB, TiB; none is bytes), or "off" for no limit.
func parseMemoryLimit(s string) (int64, error) {
	if s == "off" {
		return math.MaxInt64, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	num, shift := s, uint(0)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, shift = n, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q: want a size such as 384MiB or 1GiB, or off", s)
	}
	return n << shift, nil
}
