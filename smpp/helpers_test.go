package smpp_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func newServer(t *testing.T, cfg smpptest.Config) *smpptest.Server {
	t.Helper()
	srv, err := smpptest.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// fastConfig is a session config with short timers for tests on real time.
// The response timeout is long: a healthy simulated SMSC on a busy machine
// can take seconds to answer, and a test that wants a timeout sets its own
// (inside a synctest bubble).
func fastConfig(addr string) smpp.Config {
	return smpp.Config{
		Addr:                addr,
		SystemID:            "relay",
		Password:            "secret",
		Window:              16,
		ResponseTimeout:     30 * time.Second,
		EnquireLinkInterval: time.Second,
		ReconnectMin:        10 * time.Millisecond,
		ReconnectMax:        40 * time.Millisecond,
	}
}

func newSession(t *testing.T, cfg smpp.Config) *smpp.Session {
	t.Helper()
	s := newSessionAsync(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		t.Fatalf("WaitBound: %v", err)
	}
	return s
}

func sm(i int) *pdu.SubmitSM {
	return &pdu.SubmitSM{
		Source:       pdu.Address{TON: 1, NPI: 1, Addr: "15884954"},
		Dest:         pdu.Address{TON: 1, NPI: 1, Addr: fmt.Sprintf("0101234%04d", i)},
		ShortMessage: fmt.Appendf(nil, "hello %d", i),
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// metricValue reads one metric of the session by name prefix.
func metricValue(t *testing.T, s *smpp.Session, prefix string) float64 {
	t.Helper()
	var buf bytes.Buffer
	s.Metrics().WritePrometheus(&buf)
	for line := range strings.Lines(buf.String()) {
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no metric %s in\n%s", prefix, buf.String())
	return 0
}

// newSessionAsync starts a session without waiting for its bind.
func newSessionAsync(t *testing.T, cfg smpp.Config) *smpp.Session {
	t.Helper()
	s, err := smpp.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}
