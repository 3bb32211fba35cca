package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/acceptloop"
	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/logcap"
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("upstream: server closed")

// Server accepts upstream connections and runs the protocol on them; the
// Handler makes the decisions. Every goroutine it starts is waited for by
// Close.
type Server struct {
	cfg  Config
	h    Handler
	log  *slog.Logger
	m    *serverMetrics
	auth *authguard.Guard
	logs *logcap.Limiter // for log lines a peer can cause at will

	ctx    context.Context // parent of every connection's context
	cancel context.CancelFunc

	mu struct {
		sync.Mutex
		closing     bool
		listeners   map[net.Listener]struct{}
		conns       map[*conn]struct{}
		pending     map[netip.Prefix]int // unbound connections per source
		npending    int
		bound       int
		perCustomer map[string]*customerConns
	}
	wg sync.WaitGroup // one per connection
}

// NewServer checks cfg and builds a server. Its metrics are registered in
// set (metrics.NewSet() in tests; the daemon's set otherwise).
func NewServer(cfg Config, h Handler, logger *slog.Logger, set *metrics.Set) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if set == nil {
		set = metrics.NewSet()
	}
	s := &Server{
		cfg:  cfg,
		h:    h,
		log:  logger.With("component", "upstream"),
		m:    newServerMetrics(set, cfg.Name),
		auth: authguard.New(cfg.Auth),
	}
	s.logs = logcap.NewLimiter(set, cfg.Name, 1, 10)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.listeners = make(map[net.Listener]struct{})
	s.mu.conns = make(map[*conn]struct{})
	s.mu.pending = make(map[netip.Prefix]int)
	s.mu.perCustomer = make(map[string]*customerConns)
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
// apart (claimBound), so unbound ones never take their places.
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
			tc.SetLinger(0) // a reset: no TIME_WAIT kept for a refused flood
		}
		nc.Close()
		return
	}
	c := newConn(s, nc)
	c.src = src
	s.mu.conns[c] = struct{}{}
	s.mu.pending[src]++
	s.mu.npending++
	s.wg.Add(1)
	s.mu.Unlock()
	s.m.conns.Inc()
	s.m.pending.Inc()
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.mu.conns, c)
		s.unpendLocked(c)
		if c.customer != "" {
			s.mu.bound--
			if cc := s.mu.perCustomer[c.customer]; cc != nil {
				delete(cc.conns, c)
				if cc.n--; cc.n <= 0 {
					delete(s.mu.perCustomer, c.customer)
				}
			}
		}
		s.mu.Unlock()
		s.m.conns.Dec()
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
	s.m.pending.Dec()
}

// unpend is called when c's bind is decided, either way.
func (s *Server) unpend(c *conn) {
	s.mu.Lock()
	s.unpendLocked(c)
	s.mu.Unlock()
}

// customerConns is what the server keeps per customer with a bound connection.
type customerConns struct {
	n      int
	claims *reportClaims
	conns  map[*conn]struct{} // for CustomerStatus
}

// claimBound counts a bound connection for customer and returns the
// customer's report claims, or "" and the rule that refused it: the
// server's bound-connection limit or the customer's own.
func (s *Server) claimBound(c *conn, customer string) (*reportClaims, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.bound >= s.cfg.MaxConns {
		return nil, fmt.Sprintf("relay at its limit of %d bound connections", s.cfg.MaxConns)
	}
	cc := s.mu.perCustomer[customer]
	if cc == nil {
		cc = &customerConns{claims: newReportClaims(), conns: map[*conn]struct{}{}}
		s.mu.perCustomer[customer] = cc
	}
	if cc.n >= s.cfg.MaxConnsPerCustomer {
		return nil, fmt.Sprintf("customer at its limit of %d connections", s.cfg.MaxConnsPerCustomer)
	}
	cc.n++
	cc.conns[c] = struct{}{}
	s.mu.bound++
	return cc.claims, ""
}

func (s *Server) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.closing
}

// Close stops accepting, asks every connection to stop reading, finish the
// submits it has read and close; when ctx ends first, it closes the rest
// at once (their handler calls see a cancelled context) and still waits
// for every goroutine to return.
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
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
	}
	// Abort before cancelling: a handler sees its ctx end only once its
	// connection is marked aborted, so what it returns then is never
	// written (runBatch checks), and the client sends it again.
	s.mu.Lock()
	for c := range s.mu.conns {
		c.abort(ctx.Err())
	}
	s.mu.Unlock()
	s.cancel()
	<-done
	return ctx.Err()
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

// NumConns is the number of open connections, bound or not.
func (s *Server) NumConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mu.conns)
}
