package faults

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay"
)

// Inproc is a relay started in this process from a Setup, the way relayd
// reads its file, with its log captured for grepping.
type Inproc struct {
	D     *relay.Daemon
	Setup *Setup
	logs  *lockedBuffer
}

// StartInproc writes s to dir/relay.toml, loads it as relayd does and
// starts the daemon with opts (its Logger is replaced by the capture).
func StartInproc(dir string, s *Setup, opts relay.Options) (*Inproc, error) {
	path := filepath.Join(dir, "relay.toml")
	if err := s.Write(path); err != nil {
		return nil, err
	}
	cfg, err := relay.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	p := &Inproc{Setup: s, logs: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Logger = log
	if p.D, err = relay.Start(cfg, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// Logs is what the daemon logged so far, debug level included.
func (p *Inproc) Logs() string { return p.logs.String() }

// Shutdown stops the daemon in its order.
func (p *Inproc) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := p.D.Shutdown(ctx); err != nil {
		return fmt.Errorf("faults: shutdown: %w", err)
	}
	if os.Getenv("RELAY_FAULTS_LOG") != "" {
		fmt.Fprint(os.Stderr, p.Logs())
	}
	return nil
}

// WaitBound polls until every carrier has n bound sockets, or d passes.
func WaitBound(carriers []*Carrier, n int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		ok := true
		for _, c := range carriers {
			if s := c.Server(); s == nil || s.Stats().Open < n {
				ok = false
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("faults: carriers not bound %d times within %v", n, d)
		}
		time.Sleep(2 * time.Millisecond) // polling sockets the relay opens
	}
}

type lockedBuffer struct {
	mu struct {
		sync.Mutex
		b bytes.Buffer
	}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.b.String()
}
