package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
)

// Keys finds the customer an API key belongs to.
type Keys interface {
	// CustomerByAPIKey returns the customer id of key, comparing only
	// hashes, or false.
	CustomerByAPIKey(key string) (string, bool)
}

// Guard throttles wrong API keys: *authguard.Guard, the same rules as the
// upstream protocol's secrets. An API key names no account, so failures
// count per source. Keys are checked with one SHA-256, so the guard's
// check budget (made for PBKDF2) should be set high.
type Guard interface {
	Admit(ctx context.Context, a authguard.Attempt) error
	Failed(a authguard.Attempt)
}

// Messages reads stored messages; *store.Store implements it.
type Messages interface {
	Get(id message.ID) (*message.Message, error)
}

// Options are a Server's collaborators.
type Options struct {
	Config   Config
	Acceptor intake.Acceptor // the one accept path every ingress shares
	Keys     Keys
	Messages Messages
	Guard    Guard        // nil: wrong keys are not throttled (tests only)
	Logger   *slog.Logger // nil: no logs
	Metrics  *metrics.Set // nil: a private set
}

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_http_requests_total":    "HTTP API requests, by the class of the answer's status.",
	"relay_http_auth_failed_total": "HTTP API requests refused for a missing or unknown API key.",
	"relay_http_messages_total":    "Messages in HTTP API requests, by result (accepted: new or duplicate; refused).",
	"relay_http_accept_seconds":    "Time to take one request's messages through the door and make them durable.",
}

// acceptBuckets: one request is one pass through the door and one group
// commit.
var acceptBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// Server is the HTTP API.
type Server struct {
	cfg  Config
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	srv  *http.Server

	requests   map[string]*metrics.Counter // by answer status class
	authFailed *metrics.Counter
	messages   *metrics.Counter
	refused    *metrics.Counter
	acceptSec  *metrics.PrometheusHistogram
}

// New builds a server; it listens once Serve is called.
func New(opts Options) (*Server, error) {
	if opts.Acceptor == nil || opts.Keys == nil || opts.Messages == nil {
		return nil, fmt.Errorf("%w: acceptor, keys and messages are required", ErrConfig)
	}
	cfg := opts.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.SetDefaults()
	set := opts.Metrics
	if set == nil {
		set = metrics.NewSet()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, opts: opts, log: log, mux: http.NewServeMux(), requests: map[string]*metrics.Counter{}}
	for _, class := range []string{"2xx", "4xx", "5xx"} {
		s.requests[class] = set.GetOrCreateCounter(`relay_http_requests_total{status="` + class + `"}`)
	}
	s.authFailed = set.GetOrCreateCounter(`relay_http_auth_failed_total`)
	s.messages = set.GetOrCreateCounter(`relay_http_messages_total{result="accepted"}`)
	s.refused = set.GetOrCreateCounter(`relay_http_messages_total{result="refused"}`)
	s.acceptSec = set.GetOrCreatePrometheusHistogramExt(`relay_http_accept_seconds`, acceptBuckets)
	s.mux.HandleFunc("POST /v1/messages", s.authed(s.postMessages))
	s.mux.HandleFunc("GET /v1/messages/{id}", s.authed(s.getMessage))
	s.mux.HandleFunc("GET /v1/openapi.json", serveOpenAPI)
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.ReadTimeout + 30*time.Second, // the durable accept happens in between
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// ServeHTTP routes a request and counts its answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	s.mux.ServeHTTP(sw, r)
	switch {
	case sw.code >= 500:
		s.requests["5xx"].Inc()
	case sw.code >= 400:
		s.requests["4xx"].Inc()
	default:
		s.requests["2xx"].Inc()
	}
}

// Serve answers requests on ln until Shutdown; it returns nil after a
// Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops taking requests and waits, until ctx ends, for those in
// flight: their messages are answered once durable.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}
