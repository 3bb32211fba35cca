package faults

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"

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
	logs    logBuffer // over all its runs

	mu struct {
		sync.Mutex
		p *proc // the run now, nil before the first
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

// errNATSdExited is a server that ended before it took clients.
var errNATSdExited = errors.New("faults: natsd exited")

var natsdReadyRE = regexp.MustCompile(`^natsd: ready`)

// Start runs the server and waits until it takes clients (30 s at most).
func (s *NATSd) Start() error {
	cmd := exec.Command(s.bin, "-name", s.Name, "-listen", s.Listen, "-cluster", s.Cluster,
		"-routes", strings.Join(s.routes, ","), "-store", s.store)
	p, _, err := startProc(cmd, &s.logs, nil, natsdReadyRE, errNATSdExited)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	s.mu.Lock()
	s.mu.p = p
	s.mu.Unlock()
	return nil
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *NATSd) Kill() { s.signal(syscall.SIGKILL) }

// Stop sends SIGTERM and waits for the process to be gone.
func (s *NATSd) Stop() { s.signal(syscall.SIGTERM) }

func (s *NATSd) signal(sig syscall.Signal) {
	s.mu.Lock()
	p := s.mu.p
	s.mu.Unlock()
	if p != nil {
		p.signal(sig)
	}
}

// Logs is everything the server wrote to stderr, over all its runs.
func (s *NATSd) Logs() string { return s.logs.String() }
