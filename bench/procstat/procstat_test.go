package procstat

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestParseStat: the times count from the last ')', so a command name
// with spaces and parentheses does not shift them; a line cut short is an
// error, never a time.
func TestParseStat(t *testing.T) {
	line := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 1000 1000000 300\n"
	got, err := parseStat([]byte(line))
	if err != nil || got != 3250*time.Millisecond {
		t.Errorf("%q: %v %v, want 3.25s", line, got, err)
	}
	for _, bad := range []string{"4242 (x S 1 2", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 u s 0"} {
		if _, err := parseStat([]byte(bad)); !errors.Is(err, ErrUnreadable) {
			t.Errorf("%q: %v, want ErrUnreadable", bad, err)
		}
	}
}

// TestThisProcess reads this process, where /proc has it.
func TestThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Error(err)
	}
	if PeakRSSMiB(0) <= 0 || PeakRSSMiB(os.Getpid()) <= 0 {
		t.Errorf("peak RSS %v (self) %v (pid), want > 0", PeakRSSMiB(0), PeakRSSMiB(os.Getpid()))
	}
}
