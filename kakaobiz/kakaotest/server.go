// Package kakaotest is a simulated Kakao BizMessage server, shaped like
// net/http/httptest: NewServer listens on 127.0.0.1 on a free port, URL
// gives its base URL, Close stops it. It speaks the API documented in
// package kakaobiz (token, send, lookup) and misbehaves on purpose: latency,
// a weighted mix of result codes, 5xx and 429 bursts with Retry-After,
// answers held past the client's timeout, expired tokens, duplicate serials,
// connections reset after the request was read, 3005 with a later final
// result, garbage and oversized answers.
//
// It remembers every serial it accepted: a second send of one is refused
// with 409, and Stats().Billed counts distinct serials delivered, which is
// what Kakao would charge.
package kakaotest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Server is a running simulated Kakao BizMessage API.
type Server struct {
	cfg  Config
	log  *slog.Logger
	ln   *countingListener
	srv  *fasthttp.Server
	stop chan struct{} // closed by Close: releases held answers
	wg   sync.WaitGroup
	once sync.Once

	latency atomic.Int64                  // ns
	gate    atomic.Pointer[chan struct{}] // set while paused: closed by Resume

	mu struct {
		sync.Mutex
		rng     *rand.Rand
		tokens  map[string]time.Time // token → expiry
		serials map[string]*record
		bursts  []burst
		seq     uint64
	}

	st counters
}

type record struct {
	uid     uint64 // shown as "K<uid>"
	code    string
	final   string    // for 3005: the code a lookup shows after finalAt
	finalAt time.Time // zero: code is final
}

type burst struct {
	outcome string
	n       int
}

type counters struct {
	requests, sends, lookups, tokens, unauthorized, duplicates, accepted, billed, rejected atomic.Int64
}

// Stats is a snapshot of the server's counters.
type Stats struct {
	Requests     int64 // every HTTP request
	Sends        int64 // send requests that passed authentication
	Lookups      int64
	TokensIssued int64
	Unauthorized int64 // 401 answers
	Duplicates   int64 // 409 answers
	Accepted     int64 // distinct serials accepted
	Billed       int64 // distinct serials delivered (code 1000)
	Rejected     int64 // 4xxx answers
	OpenConns    int64
	MaxConns     int64 // most connections ever open at once
	TotalConns   int64 // connections ever accepted
}

// NewServer starts a server on cfg.Addr (by default 127.0.0.1 on a free port).
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("kakaotest: listen: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, ln: &countingListener{Listener: l}, stop: make(chan struct{})}
	s.latency.Store(int64(cfg.Latency))
	s.mu.rng = rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	s.mu.tokens = make(map[string]time.Time)
	s.mu.serials = make(map[string]*record)
	s.srv = &fasthttp.Server{
		Handler:               s.handle,
		Name:                  "kakaotest",
		MaxRequestBodySize:    64 << 10,
		NoDefaultServerHeader: true,
		CloseOnShutdown:       true,
		IdleTimeout:           time.Minute,
		Logger:                discardLogger{},
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(s.ln)
	}()
	return s, nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL to give a client.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops the server: held answers are released, connections closed,
// and the serving goroutine waited for.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.stop)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.ShutdownWithContext(ctx)
		// Shutdown only closes listeners Serve already registered; if it ran
		// first, closing ours is what makes Serve return.
		_ = s.ln.Close()
		s.wg.Wait()
	})
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Requests:     s.st.requests.Load(),
		Sends:        s.st.sends.Load(),
		Lookups:      s.st.lookups.Load(),
		TokensIssued: s.st.tokens.Load(),
		Unauthorized: s.st.unauthorized.Load(),
		Duplicates:   s.st.duplicates.Load(),
		Accepted:     s.st.accepted.Load(),
		Billed:       s.st.billed.Load(),
		Rejected:     s.st.rejected.Load(),
		OpenConns:    s.ln.open.Load(),
		MaxConns:     s.ln.max.Load(),
		TotalConns:   s.ln.total.Load(),
	}
}

// Burst makes the next n sends get outcome (e.g. OutcomeHTTP429), ahead of
// Force and the mix.
func (s *Server) Burst(outcome string, n int) {
	s.mu.Lock()
	s.mu.bursts = append(s.mu.bursts, burst{outcome, n})
	s.mu.Unlock()
}

// ExpireTokens makes every token issued so far answer 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.mu.tokens)
	s.mu.Unlock()
}

// SetLatency changes the latency of later answers.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Pause holds every later send and lookup, before its latency, until
// Resume: a Kakao that has stopped answering, for as long as a test needs.
func (s *Server) Pause() {
	g := make(chan struct{})
	if old := s.gate.Swap(&g); old != nil {
		close(*old)
	}
}

// Resume lets the answers held by Pause go.
func (s *Server) Resume() {
	if g := s.gate.Swap(nil); g != nil {
		close(*g)
	}
}

// pass waits while the server is paused; false when it closed.
func (s *Server) pass() bool {
	g := s.gate.Load()
	if g == nil {
		return true
	}
	select {
	case <-*g:
		return true
	case <-s.stop:
		return false
	}
}

// Result is the code a lookup of serial would show now; ok is false for a
// serial never accepted.
func (s *Server) Result(serial string) (code string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.mu.serials[serial]
	if !ok {
		return "", false
	}
	return s.currentLocked(r), true
}

// wait blocks d, or until the server closes; false when it closed.
func (s *Server) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t, _ := timerPool.Get().(*time.Timer)
	if t == nil {
		t = time.NewTimer(d)
	} else {
		t.Reset(d)
	}
	defer func() { t.Stop(); timerPool.Put(t) }()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

// timerPool keeps the latency timers: one per request in flight otherwise.
var timerPool sync.Pool

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	*b = (*b)[:0]
	bufPool.Put(b)
}

// Run serves until ctx is done: the simulated server as a process.
func Run(ctx context.Context, cfg Config) error {
	s, err := NewServer(cfg)
	if err != nil {
		return err
	}
	s.log.Info("simulated Kakao BizMessage API listening", "url", s.URL())
	<-ctx.Done()
	start := time.Now()
	s.Close()
	st := s.Stats()
	s.log.Info("simulated Kakao BizMessage API stopped", "took", time.Since(start),
		"sends", st.Sends, "accepted", st.Accepted, "billed", st.Billed)
	return nil
}
