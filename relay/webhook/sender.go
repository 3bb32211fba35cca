package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/store"
)

// Outbox is the durable report outbox; *store.Store implements it.
type Outbox interface {
	Reports(customer string, afterSeq uint64, limit int) ([]store.Report, error)
	AckReports(ctx context.Context, customer string, seqs ...uint64) error
}

// Customers says which customers have a report_url; *customer.Registry
// implements it. A customer's target is read again for each delivery, so
// a changed URL or secret takes effect at once.
type Customers interface {
	Get(id string) *customer.Customer
	All() []*customer.Customer
}

// Options are a Sender's collaborators.
type Options struct {
	Config    Config
	Outbox    Outbox
	Customers Customers
	// Watch, when set, is how a worker hears of new reports in its
	// customer's outbox (intake.Hub.Watch); otherwise Wake tells it.
	Watch   func(customer string) (wake <-chan struct{}, stop func())
	RootCAs *x509.CertPool   // nil: the system's
	Logger  *slog.Logger     // nil: no logs
	Metrics *metrics.Set     // nil: a private set
	Now     func() time.Time // nil: time.Now
}

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_webhook_deliveries_total": "Report webhook deliveries per customer, by result (delivered; failed: retried later; dropped: given up 48 h after the final result).",
	"relay_webhook_failing":          "1 while a customer's last webhook delivery failed.",
	"relay_webhook_pending":          "Reports a customer's webhook worker has read from the outbox and not yet delivered.",
}

// rescanEvery is how often the sender looks for customers given a
// report_url since it started.
const rescanEvery = 30 * time.Second

// Sender delivers every webhook customer's reports; one worker per
// customer.
type Sender struct {
	cfg    Config
	opts   Options
	guard  *guard
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	set    *metrics.Set

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		workers map[string]*worker
		stopped bool
	}
}

// New builds a sender; Start starts it.
func New(opts Options) (*Sender, error) {
	if opts.Outbox == nil || opts.Customers == nil {
		return nil, fmt.Errorf("%w: outbox and customers are required", ErrConfig)
	}
	cfg := opts.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.SetDefaults()
	g, _ := cfg.guard()
	s := &Sender{cfg: cfg, opts: opts, guard: g, log: opts.Logger, now: opts.Now, set: opts.Metrics}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.set == nil {
		s.set = metrics.NewSet()
	}
	s.client = &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			Proxy:               nil, // a proxy would be the address checked, not the target
			DialContext:         g.dialer(cfg.Timeout),
			TLSClientConfig:     &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: cfg.Timeout,
			MaxIdleConnsPerHost: cfg.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		// A redirect is a failed delivery: the target is what was configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.workers = map[string]*worker{}
	return s, nil
}

// Start starts a worker for each customer with a report_url, and looks
// for new ones every 30 seconds.
func (s *Sender) Start() {
	s.rescan()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(rescanEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.rescan()
			case <-s.ctx.Done():
				return
			}
		}
	}()
}

func (s *Sender) rescan() {
	for _, c := range s.opts.Customers.All() {
		if c.ReportURL != "" {
			s.worker(c.ID)
		}
	}
}

// worker returns the customer's worker, starting it if need be.
func (s *Sender) worker(id string) *worker {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.mu.workers[id]; w != nil || s.mu.stopped {
		return w
	}
	w := newWorker(s, id)
	s.mu.workers[id] = w
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		w.run()
	}()
	return w
}

// Handles reports whether the customer's reports go by webhook (it has a
// report_url); its upstream sessions then get none.
func (s *Sender) Handles(customerID string) bool {
	c := s.opts.Customers.Get(customerID)
	return c != nil && c.ReportURL != ""
}

// Wake tells the customer's worker that its outbox has new reports. It
// never blocks.
func (s *Sender) Wake(customerID string) {
	s.mu.Lock()
	w := s.mu.workers[customerID]
	s.mu.Unlock()
	if w == nil {
		if !s.Handles(customerID) {
			return
		}
		w = s.worker(customerID)
		if w == nil {
			return
		}
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Stop stops the workers and waits for them; deliveries in flight are
// cancelled and stay in the outbox, sent again after the restart.
func (s *Sender) Stop() {
	s.mu.Lock()
	s.mu.stopped = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.client.CloseIdleConnections()
}

// EndpointStatus is one customer's webhook as the status page shows it.
type EndpointStatus struct {
	Customer    string
	URL         string
	Pending     int  // reports read from the outbox and not yet acknowledged
	Failing     bool // the last delivery failed
	Failures    int  // failed deliveries in a row
	LastError   string
	LastAttempt time.Time
	LastSuccess time.Time
	Delivered   uint64
	Dropped     uint64 // given up 48 h after their final result
}

// Status returns every webhook endpoint's state, failing ones first.
func (s *Sender) Status() []EndpointStatus {
	s.mu.Lock()
	ws := make([]*worker, 0, len(s.mu.workers))
	for _, w := range s.mu.workers {
		ws = append(ws, w)
	}
	s.mu.Unlock()
	out := make([]EndpointStatus, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.status())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Failing != out[j].Failing {
			return out[i].Failing
		}
		return out[i].Customer < out[j].Customer
	})
	return out
}
