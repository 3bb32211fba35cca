package bench

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/msgrelay/relay/bench/procstat"
)

// peakRSSMiB is the high-water mark of a process's resident set in MiB;
// pid 0 is this process. It returns 0 where /proc has none.
func peakRSSMiB(pid int) float64 { return procstat.PeakRSSMiB(pid) }

// loadAvg is the 1-minute load average from /proc/loadavg, 0 if absent.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}

// cpuTime is the CPU time (user + system) a process has used so far; pid 0
// is this process. It returns 0 where it cannot tell.
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	t, err := procstat.CPUTime(pid)
	if err != nil {
		return 0
	}
	return t
}
