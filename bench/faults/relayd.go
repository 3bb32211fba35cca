package faults

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Errors of the helpers.
var (
	ErrNotListening = errors.New("faults: relayd did not start listening")
	ErrExited       = errors.New("faults: relayd exited")
)

// built is one binary of the module, built once per process.
type built struct {
	once sync.Once
	bin  string
	err  error
}

var relaydBuild built

// BuildRelayd builds cmd/relayd once per process into a temporary
// directory and returns the binary's path.
func BuildRelayd() (string, error) { return relaydBuild.build("./cmd/relayd", "relayd") }

// build runs go build of pkg once, into a temporary directory.
func (b *built) build(pkg, name string) (string, error) {
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", name+"-faults-")
		if err != nil {
			b.err = err
			return
		}
		bin := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("faults: build %s: %w\n%s", name, err, out)
			return
		}
		b.bin = bin
	})
	return b.bin, b.err
}

// moduleRoot is the repository root, two levels above this package.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Relayd is one run of the relay binary. Its log (stderr) is kept whole,
// for grepping; a new Relayd is started for each restart.
type Relayd struct {
	p       *proc
	Addr    string // upstream listen address, from the log
	Started time.Time
	logs    logBuffer
}

var listenRE = regexp.MustCompile(`upstream listening" addr=(\S+)`)

// StartRelayd runs bin with the config and waits until it listens
// upstream (30 s at most). Logs of every run are appended to logTo when
// set.
func StartRelayd(bin, config string, logTo io.Writer) (*Relayd, error) {
	return StartCmd(exec.Command(bin, "-config", config), logTo)
}

// StartCmd runs cmd, a relay that logs like relayd on stderr, and waits
// until it listens upstream.
func StartCmd(cmd *exec.Cmd, logTo io.Writer) (*Relayd, error) {
	r := &Relayd{Started: time.Now()}
	p, m, err := startProc(cmd, &r.logs, logTo, listenRE, ErrExited)
	if errors.Is(err, errNotReady) {
		return nil, fmt.Errorf("%w: %w", ErrNotListening, err)
	}
	if err != nil {
		return nil, err
	}
	r.p, r.Addr = p, m[1]
	return r, nil
}

// Logged waits up to d for a line of the run's log that re matches, and
// returns its first submatch: an address a listener logged.
func (r *Relayd) Logged(re *regexp.Regexp, d time.Duration) (string, error) {
	deadline := time.Now().Add(d)
	for {
		if m := re.FindStringSubmatch(r.Logs()); m != nil {
			return m[1], nil
		}
		select {
		case <-r.p.done: // every line is in the log by now
			if m := re.FindStringSubmatch(r.Logs()); m != nil {
				return m[1], nil
			}
			return "", fmt.Errorf("%w: no line matching %s:\n%s", ErrExited, re, r.Logs())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("faults: no line matching %s in %v", re, d)
		}
	}
}

// PID is the process id.
func (r *Relayd) PID() int { return r.p.cmd.Process.Pid }

// Logs is everything the run wrote to stderr so far.
func (r *Relayd) Logs() string { return r.logs.String() }

// Kill sends SIGKILL and waits for the process to be gone.
func (r *Relayd) Kill() { r.p.signal(syscall.SIGKILL) }

// Stop sends SIGTERM and waits up to d for a clean exit; it returns the
// exit error (nil for status 0) or ErrExited wrapped if it had to kill.
func (r *Relayd) Stop(d time.Duration) error {
	_ = r.p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.p.done:
		if st := r.p.cmd.ProcessState; st != nil && !st.Success() {
			return fmt.Errorf("%w: %s", ErrExited, st)
		}
		return nil
	case <-time.After(d):
		r.Kill()
		return fmt.Errorf("%w: not within %v of SIGTERM, killed", ErrExited, d)
	}
}

// Signal sends sig to the process.
func (r *Relayd) Signal(sig os.Signal) error { return r.p.cmd.Process.Signal(sig) }

// ExitCode is the exit status once Exited is closed (-1 if killed by a
// signal).
func (r *Relayd) ExitCode() int { return r.p.cmd.ProcessState.ExitCode() }

// Exited is closed when the process has ended.
func (r *Relayd) Exited() <-chan struct{} { return r.p.done }

// RSSMiB reads the process's current resident set from /proc, 0 if gone.
func RSSMiB(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
