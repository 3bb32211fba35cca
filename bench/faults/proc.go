package faults

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// errNotReady is a child process that did not say it was ready in time.
var errNotReady = errors.New("faults: process not ready")

// readyWithin bounds how long a child process may take to say it is
// ready: a start on a busy machine is slow.
const readyWithin = 30 * time.Second

// logBuffer is what a child process wrote to stderr, kept whole (over
// several runs when they share it), for grepping.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
	l.b.WriteByte('\n')
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is one run of a child process whose stderr is read line by line.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has ended and been waited for
}

// startProc runs cmd, keeps every line of its stderr in logs (and copies
// it to logTo when set), and waits until a line matches ready; it returns
// the match's submatches. A process that ends first gives exited wrapped
// with its logs; one not ready within readyWithin is killed and gives
// errNotReady.
func startProc(cmd *exec.Cmd, logs *logBuffer, logTo io.Writer, ready *regexp.Regexp, exited error) (*proc, []string, error) {
	p := &proc{cmd: cmd, done: make(chan struct{})}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	matched := make(chan []string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			logs.line(line)
			if logTo != nil {
				fmt.Fprintln(logTo, line)
			}
			if m := ready.FindStringSubmatch(line); m != nil {
				select {
				case matched <- m:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
	}()
	select {
	case m := <-matched:
		return p, m, nil
	case <-p.done:
		return nil, nil, fmt.Errorf("%w before it was ready:\n%s", exited, logs.String())
	case <-time.After(readyWithin):
		p.signal(syscall.SIGKILL)
		return nil, nil, fmt.Errorf("%w in %v:\n%s", errNotReady, readyWithin, logs.String())
	}
}

// signal sends sig and waits for the process to be gone.
func (p *proc) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
	<-p.done
}
