// Package upstreamtest runs the upstream protocol's server on loopback with
// an in-memory handler, in the shape of net/http/httptest: for testing what
// speaks to the relay (the client, the CLI, the bench harness) without the
// daemon. The handler can be told to refuse, to be slow, and to report.
package upstreamtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/upstream"
)

// Server is an upstream server listening on 127.0.0.1.
type Server struct {
	Addr    string      // host:port to dial
	Handler *MemHandler // nil when NewServer was given another handler
	Metrics *metrics.Set

	srv    *upstream.Server
	served chan error
}

// NewServer starts a server with cfg and h; a nil h is a new MemHandler
// that knows customer "test" with secret "test-secret". It panics if it
// cannot listen, like httptest.NewServer.
func NewServer(cfg upstream.Config, h upstream.Handler) *Server {
	s := &Server{Metrics: metrics.NewSet(), served: make(chan error, 1)}
	if h == nil {
		mh := NewMemHandler()
		mh.AddCustomer("test", "test-secret")
		s.Handler, h = mh, mh
	} else if mh, ok := h.(*MemHandler); ok {
		s.Handler = mh
	}
	srv, err := upstream.NewServer(cfg, h, slog.New(slog.DiscardHandler), s.Metrics)
	if err != nil {
		panic(fmt.Sprintf("upstreamtest: %v", err))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("upstreamtest: listen: %v", err))
	}
	s.srv, s.Addr = srv, ln.Addr().String()
	go func() { s.served <- srv.Serve(ln) }()
	return s
}

// NumConns is the number of open connections.
func (s *Server) NumConns() int { return s.srv.NumConns() }

// Close stops the server, answering the submits in flight, within 30 s.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.CloseContext(ctx)
}

// CloseContext is Close with the caller's deadline; it returns ctx.Err() if
// it had to cut connections with submits still in the handler.
func (s *Server) CloseContext(ctx context.Context) error {
	err := s.srv.Close(ctx)
	<-s.served
	return err
}
