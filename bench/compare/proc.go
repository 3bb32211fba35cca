package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/msgrelay/relay/bench/procstat"
)

// proc is one child process with its output in a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

// start runs bin with args, its stdout and stderr going to dir/name.log.
func start(dir, name, bin string, args ...string) (*proc, error) {
	f, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = dir
	// Its own process group, so a stop reaches any child it forks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("compare: start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: f, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	if p == nil {
		return
	}
	syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
	p.log.Close()
}

// tail returns the last lines of the process's log, for error messages.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log.Name())
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cpuOf sums the CPU time of procs; a process that is gone counts as an error.
func cpuOf(ps ...*proc) (time.Duration, error) {
	var sum time.Duration
	for _, p := range ps {
		t, err := procstat.CPUTime(p.pid())
		if err != nil {
			return 0, fmt.Errorf("compare: %s: %w", p.name, err)
		}
		sum += t
	}
	return sum, nil
}

// waitListening polls addr until it accepts a connection, p exits, or ctx
// ends.
func waitListening(ctx context.Context, p *proc, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("compare: %s exited before listening on %s:\n%s", p.name, addr, p.tail(10))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("compare: %s not listening on %s: %w\n%s", p.name, addr, ctx.Err(), p.tail(10))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
