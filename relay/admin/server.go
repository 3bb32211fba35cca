package admin

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/logcap"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/optout"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/store"
)

// Store is what the server reads from the message store; *store.Store
// implements it.
type Store interface {
	Get(id message.ID) (*message.Message, error)
	ByClientRef(customer, ref string) (*message.Message, error)
	History(q store.HistoryQuery) (store.HistoryPage, error)
	CountHistory(customer, recipient string, from, to time.Time, limit int) (int, bool, error)
	MonthCounts(customer, month string) (map[message.Product]uint64, error)
	DailyCounts(customer, from, to string) (map[string]map[message.Product]store.DayCount, error)
	IssueStatement(ctx context.Context, customer, month string, seen int, body []byte) (int, error)
	IssuedStatements(customer, month string) ([][]byte, error)
	Legs(id message.ID) ([]store.Leg, error)
	Export(from, to time.Time) iter.Seq2[*message.Message, error]
}

// Customers is the customer registry; *customer.Registry implements it.
// Its changes are persisted by the registry's own observer.
type Customers interface {
	Get(id string) *customer.Customer
	Suspend(id, reason string) error
	Resume(id string) error
	SetEndDate(id, date string) error
	RegisterSender(id string, reg customer.Registration) error
	MarkShared(number string, shared bool) error
	RemoveSender(id, number string) error
	AddAPIKey(id, hash string) error
	RevokeAPIKey(id, hashOrID string) (string, error)
	All() []*customer.Customer
}

// Options are what the server works with.
type Options struct {
	Config    Config
	Tokens    *Tokens
	Store     Store
	Customers Customers
	Payments  *payment.Registry  // may be nil: no payment endpoints
	Templates *alimtalk.Registry // may be nil: no template endpoints
	OptOuts   *optout.List       // may be nil: no opt-out endpoints
	Ops       Operations         // may be nil: no status, carrier or reload endpoints
	Settler   *settle.Settler
	// Issuable, when set, is asked before a statement of a month is
	// issued: in a cluster, every node must have reported its final
	// counters of the month. Its error refuses the issue (409).
	Issuable func(ctx context.Context, month string) error
	Audit    AuditLog
	Logger   *slog.Logger     // nil: no logs
	Metrics  *metrics.Set     // nil: a private set
	Now      func() time.Time // nil: time.Now
}

// Server is the admin HTTP server.
type Server struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time
	mux  *http.ServeMux

	sessions sessions
	guard    *authguard.Guard
	signIns  signInLimits
	logs     *logcap.Limiter

	settler atomic.Pointer[settle.Settler] // the prices in force; Reload replaces it

	requests   *metrics.Counter
	authFailed *metrics.Counter
	changes    *metrics.Counter
	refused    *metrics.Counter
	throttled  *metrics.Counter
}

// New builds a server.
func New(opts Options) (*Server, error) {
	if opts.Tokens == nil || opts.Store == nil || opts.Customers == nil || opts.Settler == nil || opts.Audit == nil {
		return nil, fmt.Errorf("%w: tokens, store, customers, settler and audit log are required", ErrConfig)
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	set := opts.Metrics
	if set == nil {
		set = metrics.NewSet()
	}
	s.requests = set.NewCounter(`relay_admin_requests_total`)
	s.authFailed = set.NewCounter(`relay_admin_auth_failures_total`)
	s.changes = set.NewCounter(`relay_admin_changes_total{outcome="ok"}`)
	s.refused = set.NewCounter(`relay_admin_changes_total{outcome="refused"}`)
	s.throttled = set.NewCounter(`relay_admin_auth_throttled_total`)
	s.settler.Store(opts.Settler)
	s.sessions.init(opts.Config.sessionTTL(), opts.Config.sessionsPerToken(), s.now)
	s.guard = newAuthGuard(s.now)
	s.signIns.now = s.now
	s.logs = logcap.NewLimiter(set, "admin", 1, 10)
	s.routes()
	return s, nil
}

// Reload puts a reloaded configuration's tokens and prices in force for
// the next request. The page sessions of a token that is gone end.
func (s *Server) Reload(tokens *Tokens, settler *settle.Settler) {
	s.opts.Tokens.Replace(tokens)
	s.sessions.keepOnly(s.opts.Tokens.has)
	s.settler.Store(settler)
}

// Handler returns the server's handler, to mount or to serve.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves on ln until ctx is done, then shuts down, giving requests in
// flight up to 5 seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		select {
		case <-ctx.Done():
		case <-stop:
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	err := hs.Serve(ln)
	close(stop)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) routes() {
	api := func(pattern string, h func(http.ResponseWriter, *http.Request, Principal)) {
		s.mux.HandleFunc(pattern, s.apiAuth(h))
	}
	api("GET /api/v1/messages/{id}", s.getMessage)
	api("GET /api/v1/messages", s.findMessages)
	api("GET /api/v1/customers/{customer}", s.getCustomer)
	api("POST /api/v1/customers/{customer}/suspend", s.suspend)
	api("POST /api/v1/customers/{customer}/resume", s.resume)
	api("POST /api/v1/customers/{customer}/senders", s.addSender)
	api("DELETE /api/v1/customers/{customer}/senders/{number}", s.removeSender)
	api("GET /api/v1/customers/{customer}/api-keys", s.listAPIKeys)
	api("POST /api/v1/customers/{customer}/api-keys", s.addAPIKey)
	api("DELETE /api/v1/customers/{customer}/api-keys/{key}", s.revokeAPIKey)
	api("GET /api/v1/customers/{customer}/statements/{month}", s.statement)
	api("POST /api/v1/customers/{customer}/statements/{month}/issue", s.issueStatement)
	api("GET /api/v1/customers/{customer}/export", s.export)
	api("POST /api/v1/customers/{customer}/end", s.setEndDate)
	api("POST /api/v1/customers/{customer}/purge", s.purgeCustomer)
	api("GET /api/v1/payments", s.listPayments)
	api("GET /api/v1/payments/{mid}", s.getPayment)
	api("PUT /api/v1/payments/{mid}", s.putPayment)
	api("DELETE /api/v1/payments/{mid}", s.removePayment)
	api("POST /api/v1/payments/{mid}/recipients", s.addRecipient)
	api("DELETE /api/v1/payments/{mid}/recipients/{number}", s.removeRecipient)
	s.ruleRoutes(api)
	s.opsRoutes(api)
	s.pageRoutes()
}

// apiAuth authenticates the bearer token. A change (any method but GET and
// HEAD) that its handler refuses without auditing is audited here, so
// every refused change is, whoever's token it was.
func (s *Server) apiAuth(h func(http.ResponseWriter, *http.Request, Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.requests.Inc()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			s.authFailed.Inc()
			refuseAuth(w, ErrAuth)
			return
		}
		who, err := s.authenticate(r, strings.TrimSpace(tok))
		if err != nil {
			refuseAuth(w, err)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h(w, r, who)
			return
		}
		s.auditRefusals(w, r, who, h)
	}
}

// audit records a change attempt. A change that was made but cannot be
// audited answers 500 and is logged: the caller must know the record is
// missing.
func (s *Server) audit(r *http.Request, who Principal, action, target, detail string, err error) error {
	e := Entry{At: s.now().UTC(), Who: who.Name, Scope: "operator", Action: action, Target: target, Detail: detail, Outcome: "ok"}
	if !who.Operator() {
		e.Scope = "customer:" + who.Customer
	}
	if host, _, splitErr := net.SplitHostPort(r.RemoteAddr); splitErr == nil {
		e.RemoteIP = host
	}
	if err != nil {
		e.Outcome, e.Error = "refused", err.Error()
		s.refused.Inc()
	} else {
		s.changes.Inc()
	}
	if m, ok := r.Context().Value(auditMarkKey{}).(*auditMark); ok {
		m.done = true
	}
	if aerr := s.opts.Audit.Record(e); aerr != nil {
		s.log.Error("audit record failed", "action", action, "target", target, "who", who.Name, "err", aerr)
		return aerr
	}
	return nil
}
