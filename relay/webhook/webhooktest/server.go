// Package webhooktest is a report webhook receiver for tests and the dev
// configuration, in the shape of httptest: it checks every delivery's
// signature and timestamp as a customer's receiver should, records what it
// took, and misbehaves on purpose when told to: it fails, delays, or takes
// a report and answers as if it had not, so the relay sends it again.
package webhooktest

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/webhook"
)

// Behavior is how the receiver misbehaves.
type Behavior struct {
	FailNext      int           // answer the next N deliveries with FailStatus, taking nothing
	FailStatus    int           // default 503
	Delay         time.Duration // wait this long before answering each delivery
	DuplicateNext int           // take the next N deliveries but answer 500, so each comes again
}

// Delivery is a report as received.
type Delivery struct {
	ID     string         `json:"webhook_id"`
	Report webhook.Report `json:"report"`
	At     time.Time      `json:"received_at"`
}

// Stats counts deliveries.
type Stats struct {
	Received  int // requests, valid or not
	Accepted  int // valid deliveries answered 2xx
	Bad       int // refused for a signature or a timestamp
	Failed    int // failed on purpose
	Duplicate int // valid deliveries of an id already taken
}

// Server is the receiver.
type Server struct {
	URL string
	srv *httptest.Server
	now func() time.Time

	mu struct {
		sync.Mutex
		secrets  []string
		behavior Behavior
		byID     map[string]int // index in list
		list     []Delivery
		stats    Stats
	}
}

// NewServer starts a receiver on 127.0.0.1, port 0, checking with secrets.
func NewServer(secrets ...string) *Server {
	s := newServer(secrets)
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s
}

// NewTLSServer is NewServer with TLS; Certificate is its certificate.
func NewTLSServer(secrets ...string) *Server {
	s := newServer(secrets)
	s.srv = httptest.NewTLSServer(s)
	s.URL = s.srv.URL
	return s
}

// Listen serves on ln (the dev receiver's fixed address) until Close.
func Listen(ln net.Listener, secrets ...string) *Server {
	s := newServer(secrets)
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	s.URL = s.srv.URL
	return s
}

func newServer(secrets []string) *Server {
	s := &Server{now: time.Now}
	s.mu.secrets = secrets
	s.mu.byID = map[string]int{}
	return s
}

// Client returns a client that trusts the TLS server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Certificate is the TLS server's certificate.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// Close stops the receiver.
func (s *Server) Close() { s.srv.Close() }

// SetBehavior changes the misbehaviour from now on.
func (s *Server) SetBehavior(b Behavior) {
	s.mu.Lock()
	s.mu.behavior = b
	s.mu.Unlock()
}

// SetClock sets the receiver's clock, which its timestamp check uses.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// SetSecrets changes the secrets checked, as a receiver rotating does.
func (s *Server) SetSecrets(secrets ...string) {
	s.mu.Lock()
	s.mu.secrets = secrets
	s.mu.Unlock()
}

// Deliveries returns each report taken, once per id, in arrival order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.mu.list...)
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.stats
}

// ServeHTTP takes one delivery: GET answers the deliveries taken, as JSON.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Deliveries())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.mu.stats.Received++
	b := s.mu.behavior
	secrets, now := s.mu.secrets, s.now
	s.mu.Unlock()
	if b.Delay > 0 {
		select {
		case <-time.After(b.Delay):
		case <-r.Context().Done():
			return
		}
	}
	id := r.Header.Get(webhook.HeaderID)
	var rep webhook.Report
	if err == nil {
		err = webhook.Verify(secrets, id, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, now())
	}
	if err == nil {
		err = json.Unmarshal(body, &rep)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.mu.stats.Bad++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if s.mu.behavior.FailNext > 0 {
		s.mu.behavior.FailNext--
		s.mu.stats.Failed++
		code := b.FailStatus
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, "failing on purpose", code)
		return
	}
	if _, dup := s.mu.byID[id]; dup {
		s.mu.stats.Duplicate++ // the receiver deduplicates on Webhook-Id
	} else {
		s.mu.byID[id] = len(s.mu.list)
		s.mu.list = append(s.mu.list, Delivery{ID: id, Report: rep, At: now()})
	}
	if s.mu.behavior.DuplicateNext > 0 {
		s.mu.behavior.DuplicateNext--
		http.Error(w, "taken, but answering as if not", http.StatusInternalServerError)
		return
	}
	s.mu.stats.Accepted++
	w.WriteHeader(http.StatusNoContent)
}
