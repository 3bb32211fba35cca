package faults

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/msgrelay/relay/relay/loopback"
)

var natsdBuild built

// BuildNATSd builds bench/faults/natsd, a NATS server with JetStream as
// its own process, once per process.
func BuildNATSd() (string, error) { return natsdBuild.build("./bench/faults/natsd", "natsd") }

// NATSd is one server of a NATS cluster run as its own process, on fixed
// loopback ports, so that it can be killed alone and come back on the
// same ports with its JetStream data.
type NATSd struct {
	Name    string
	Listen  string // client address
	Cluster string // route address
	routes  []string
	store   string
	bin     string

	mu struct {
		sync.Mutex
		cmd  *exec.Cmd
		done chan struct{}
		logs bytes.Buffer
	}
}

// NewNATSCluster reserves the ports of n servers under dir and starts
// them all.
func NewNATSCluster(dir string, n int) ([]*NATSd, error) {
	bin, err := BuildNATSd()
	if err != nil {
		return nil, err
	}
	var servers []*NATSd
	var routes []string
	for i := range n {
		s := &NATSd{Name: fmt.Sprintf("nats%d", i+1), bin: bin, store: filepath.Join(dir, fmt.Sprintf("nats%d", i+1))}
		if s.Listen, err = loopback.Addr(); err != nil {
			return nil, err
		}
		if s.Cluster, err = loopback.Addr(); err != nil {
			return nil, err
		}
		routes = append(routes, s.Cluster)
		servers = append(servers, s)
	}
	for _, s := range servers {
		s.routes = routes
		if err := s.Start(); err != nil {
			for _, o := range servers {
				o.Kill()
			}
			return nil, err
		}
	}
	return servers, nil
}

// URL is the server's client URL.
func (s *NATSd) URL() string { return "nats://" + s.Listen }

// Start runs the server and waits until it takes clients (30 s at most).
func (s *NATSd) Start() error {
	cmd := exec.Command(s.bin, "-name", s.Name, "-listen", s.Listen, "-cluster", s.Cluster,
		"-routes", strings.Join(s.routes, ","), "-store", s.store)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	ready := make(chan struct{}, 1)
	s.mu.Lock()
	s.mu.cmd, s.mu.done = cmd, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.mu.logs.WriteString(line + "\n")
			s.mu.Unlock()
			if strings.HasPrefix(line, "natsd: ready") {
				select {
				case ready <- struct{}{}:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
	}()
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("faults: %s exited before it was ready:\n%s", s.Name, s.Logs())
	case <-time.After(30 * time.Second):
		s.Kill()
		return fmt.Errorf("faults: %s not ready in 30s:\n%s", s.Name, s.Logs())
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *NATSd) Kill() { s.signal(syscall.SIGKILL) }

// Stop sends SIGTERM and waits for the process to be gone.
func (s *NATSd) Stop() { s.signal(syscall.SIGTERM) }

func (s *NATSd) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.mu.cmd, s.mu.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	<-done
}

// Logs is everything the server wrote to stderr, over all its runs.
func (s *NATSd) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.logs.String()
}
