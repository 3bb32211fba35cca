package smppserver

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needPeer skips the test without an outside peer, or fails it under
// RELAY_REQUIRE_PEERS=1 (as CI runs).
func needPeer(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("RELAY_REQUIRE_PEERS") == "1" {
		t.Fatalf("interop peer missing: %s", why)
	}
	t.Skipf("interop peer missing: %s", why)
}

// peer is an outside program the test runs, in its own process group,
// with its output in a file; it is stopped when the test ends.
type peer struct {
	name string
	cmd  *exec.Cmd
	out  string
	done chan struct{}
}

func startPeer(t *testing.T, dir, name string, env []string, bin string, args ...string) *peer {
	t.Helper()
	out := filepath.Join(dir, name+".out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = f, f, dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &peer{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop sends SIGTERM to the process group, SIGKILL after 10 s.
func (p *peer) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *peer) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail is the end of the peer's output, for failure messages.
func (p *peer) tail() string {
	b, _ := os.ReadFile(p.out)
	s := string(b)
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// lines returns the peer's output lines so far.
func (p *peer) lines() []string {
	f, err := os.Open(p.out)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	return out
}
