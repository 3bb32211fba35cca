package smppserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/acceptloop"
	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/logcap"
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("smppserver: server closed")

// Options are a Server's collaborators.
type Options struct {
	Logger  *slog.Logger // nil: no logs
	Metrics *metrics.Set // nil: a private set
}

// Server is the SMPP 3.4 server upstream ESMEs bind to. Every goroutine it
// starts is waited for by Close.
//
// Lock order: Server.mu, then pump.mu, then conn.mu.
type Server struct {
	cfg   Config
	be    Backend
	log   *slog.Logger
	logs  *logcap.Limiter // for log lines a peer can cause at will
	m     *serverMetrics
	auth  *authguard.Guard
	parts *assembler

	ctx    context.Context // parent of every connection's context
	cancel context.CancelFunc

	mu struct {
		sync.Mutex
		closing   bool
		listeners map[net.Listener]struct{}
		conns     map[*conn]struct{}
		pending   map[netip.Prefix]int // connections not yet bound, per source
		npending  int                  // connections not yet bound
		bound     int                  // bound connections
		binds     map[string]int       // bound connections per customer
		pumps     map[string]*pump     // receipt pumps of customers with a receiver bound
	}
	connWG sync.WaitGroup // one per connection
	wg     sync.WaitGroup // the parts sweeper and the receipt pumps
}

// NewServer checks cfg and builds a server on be.
func NewServer(cfg Config, be Backend, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	set := opts.Metrics
	if set == nil {
		set = metrics.NewSet()
	}
	s := &Server{
		cfg: cfg, be: be, auth: authguard.New(cfg.Auth),
		log:   log.With("component", "smpp_server"),
		logs:  logcap.NewLimiter(set, "smpp_server", 1, 5),
		parts: newAssembler(cfg.MaxParts, cfg.PartsTimeout),
	}
	s.m = newServerMetrics(set, s.parts)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.listeners = make(map[net.Listener]struct{})
	s.mu.conns = make(map[*conn]struct{})
	s.mu.binds = make(map[string]int)
	s.mu.pending = make(map[netip.Prefix]int)
	s.mu.pumps = make(map[string]*pump)
	s.wg.Add(1)
	go s.sweepParts()
	return s, nil
}

// Serve accepts connections on ln until Close; it returns ErrServerClosed
// then, or the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.mu.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.mu.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.mu.listeners, ln)
		s.mu.Unlock()
	}()
	l := acceptloop.Loop{Closing: s.closing, Handle: s.accept, Log: s.log}
	if err := l.Run(s.ctx, ln); !errors.Is(err, acceptloop.ErrClosing) {
		return err
	}
	return ErrServerClosed
}

// accept registers nc as pending (not yet bound) and starts its goroutine,
// or closes it at once when the server is closing or the pending budget,
// in total or for nc's source, is used up. Bound connections are counted
// apart (claimBind), so sockets that never bind cannot take their places.
func (s *Server) accept(nc net.Conn) {
	src := authguard.Source(acceptloop.RemoteAddr(nc))
	s.mu.Lock()
	var refused *metrics.Counter
	switch {
	case s.mu.closing:
		refused = s.m.refusedClosing
	case s.mu.npending >= s.cfg.MaxPending:
		refused = s.m.refusedPending
	case s.mu.pending[src] >= s.cfg.MaxPendingPerSource:
		refused = s.m.refusedPendingSource
	}
	if refused != nil {
		s.mu.Unlock()
		refused.Inc()
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset: no TIME_WAIT kept for a refused flood
		}
		nc.Close()
		return
	}
	c := newConn(s, nc)
	c.src = src
	s.mu.conns[c] = struct{}{}
	s.mu.pending[src]++
	s.mu.npending++
	s.connWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.connWG.Done()
		c.serve()
		s.mu.Lock()
		delete(s.mu.conns, c)
		s.unpendLocked(c)
		s.mu.Unlock()
	}()
}

// unpendLocked takes c out of the pending counts, once.
func (s *Server) unpendLocked(c *conn) {
	if c.unpended {
		return
	}
	c.unpended = true
	if s.mu.pending[c.src]--; s.mu.pending[c.src] <= 0 {
		delete(s.mu.pending, c.src)
	}
	s.mu.npending--
}

// unpend is called when c's bind is decided, either way.
func (s *Server) unpend(c *conn) {
	s.mu.Lock()
	s.unpendLocked(c)
	s.mu.Unlock()
}

func (s *Server) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.closing
}

// claimBind counts a bound connection of a customer; false when the
// server is at max_conns bound connections or the customer at its cap.
func (s *Server) claimBind(customerID string, limit int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit <= 0 {
		limit = s.cfg.MaxBindsPerCustomer
	}
	if s.mu.bound >= s.cfg.MaxConns || s.mu.binds[customerID] >= limit {
		return false
	}
	s.mu.binds[customerID]++
	s.mu.bound++
	return true
}

func (s *Server) releaseBind(customerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.bound--
	if s.mu.binds[customerID]--; s.mu.binds[customerID] <= 0 {
		delete(s.mu.binds, customerID)
	}
}

// sweepParts answers the parts of concatenated messages that waited too
// long for their siblings.
func (s *Server) sweepParts() {
	defer s.wg.Done()
	t := time.NewTicker(max(s.cfg.PartsTimeout/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			for _, m := range s.parts.expired(s.cfg.Now()) {
				s.m.partsExpired.Inc()
				for _, tg := range m.targets {
					tg.c.answer(tg, submitFail, "")
				}
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// Close stops accepting, asks every bind to stop reading, answer what it
// has read and unbind; when ctx ends first, it closes the rest at once. It
// waits for every goroutine.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.mu.closing = true
	for ln := range s.mu.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.mu.conns))
	for c := range s.mu.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.drain()
	}
	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.mu.conns {
			c.close()
			c.cancel() // an Accept still waiting on the store gives up
		}
		s.mu.Unlock()
		<-done
	}
	s.cancel()
	s.wg.Wait()
	return err
}

// Addrs lists the addresses the server is listening on.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a []net.Addr
	for ln := range s.mu.listeners {
		a = append(a, ln.Addr())
	}
	return a
}
