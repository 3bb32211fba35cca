package smpp_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// levels is a slog handler that keeps every record's level and message.
type levels struct {
	mu   sync.Mutex
	recs []string
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }
func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Level.String()+" "+r.Message)
	return nil
}
func (l *levels) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levels) WithGroup(string) slog.Handler      { return l }

func (l *levels) at(level string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if strings.HasPrefix(r, level+" ") {
			out = append(out, r)
		}
	}
	return out
}

func TestStatusUpThenDownWithReason(t *testing.T) {
	srv := newServer(t, smpptest.Config{Users: map[string]string{"relay": "secret"}})
	cfg := fastConfig(srv.Addr())
	cfg.TPS, cfg.Name = 50, "c-1"
	s := newSession(t, cfg)
	for i := range 3 {
		if _, err := s.Submit(ctxT(t, 30*time.Second), sm(i)); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Status()
	if len(st) != 1 || !st[0].Up || st[0].Reason != "" || st[0].Window != 16 || st[0].TPS != 50 || st[0].Allowed != 50 {
		t.Fatalf("bound status = %+v", st)
	}
	if st[0].Since.IsZero() {
		t.Error("a bound bind has no since")
	}
	srv.Close()
	waitFor(t, 30*time.Second, "the bind to go down", func() bool { return !s.Status()[0].Up })
	down := s.Status()[0]
	if down.Reason == "" || down.Reason == "connecting" {
		t.Errorf("a dropped bind's reason = %q, want the error that dropped it", down.Reason)
	}
}

func TestStatusRateCountsLastSecond(t *testing.T) {
	srv := newServer(t, smpptest.Config{Users: map[string]string{"relay": "secret"}})
	s := newSession(t, fastConfig(srv.Addr()))
	// Submit until a second boundary has passed with submits on both sides,
	// then the rate is the count of the whole second before.
	start := time.Now().Unix()
	for time.Now().Unix() < start+2 {
		if _, err := s.Submit(ctxT(t, 30*time.Second), sm(1)); err != nil {
			t.Fatal(err)
		}
	}
	if r := s.Status()[0].Rate; r < 1 {
		t.Errorf("rate after a second of submits = %d", r)
	}
}

func TestCleanCloseLogsNoWarning(t *testing.T) {
	srv := newServer(t, smpptest.Config{Users: map[string]string{"relay": "secret"}})
	var logs levels
	cfg := fastConfig(srv.Addr())
	cfg.Logger = slog.New(&logs)
	s := newSession(t, cfg)
	if err := s.Close(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if w := logs.at("WARN"); len(w) > 0 {
		t.Errorf("a clean close logged warnings: %q", w)
	}
	if len(logs.at("INFO")) == 0 {
		t.Error("the unbind is not logged at all")
	}
}
