// Package procstat reads what the bench reports of a process from Linux's
// /proc: the CPU time it has used and the high-water mark of its resident
// set.
package procstat

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// the kernel fixes it at 100 on every architecture Go supports.
const clockTicks = 100

// ErrUnreadable: /proc/PID/stat is not in the form this package reads.
var ErrUnreadable = errors.New("procstat: unreadable stat")

// CPUTime is the user + system CPU time process pid has used so far.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

// parseStat reads utime and stime from the text of /proc/PID/stat. The
// command name (field 2), in parentheses, may hold spaces and parentheses:
// fields count from the last ')', after which utime and stime are the
// 12th and 13th.
func parseStat(b []byte) (time.Duration, error) {
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: no command name", ErrUnreadable)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: %d fields after the command name", ErrUnreadable, len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%w: utime %q, stime %q", ErrUnreadable, f[11], f[12])
	}
	return time.Duration(u+s) * time.Second / clockTicks, nil
}

// PeakRSSMiB is VmHWM, the high-water mark of the resident set, of process
// pid in MiB; pid 0 is this process. It is 0 where /proc has none.
func PeakRSSMiB(pid int) float64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
