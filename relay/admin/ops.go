package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/customer"
)

// Operations are the daemon's controls the API exposes to operators; nil
// in Options leaves out their endpoints.
type Operations interface {
	// Status is the relay's state, as /status on the ops port shows it.
	Status(ctx context.Context) any
	// Drain takes a carrier out of routing and waits (bounded by ctx) for
	// its windows to empty; it returns the submits still in flight.
	Drain(ctx context.Context, carrier string) (inFlight int, err error)
	// Resume puts a drained carrier back into routing.
	Resume(carrier string) error
}

// Reloader is the Operations that can reload the configuration: they get
// POST /api/v1/reload.
type Reloader interface {
	// Reload reads the configuration file again and applies it, or
	// refuses it whole (an error wrapping ErrRefused); the summary says
	// what changed, or for a refused file what it would have changed.
	Reload(ctx context.Context) (summary []string, err error)
}

// Errors an Operations method, or a registry's observer, wraps: the API
// answers 404 for ErrNotFound (a carrier it does not know), 422 for
// ErrRefused (a configuration that fails its check), 409 for ErrConflict (a
// change made elsewhere meanwhile: read again and retry) and 503 for
// ErrUnavailable (the change could not be kept now: a cluster without a
// quorum).
var (
	ErrNotFound    = errors.New("admin: not found")
	ErrRefused     = errors.New("admin: refused")
	ErrConflict    = errors.New("admin: changed elsewhere meanwhile")
	ErrUnavailable = errors.New("admin: cannot be kept now")
)

// drainWait bounds how long a drain request waits for the windows.
const drainWait = 30 * time.Second

func (s *Server) opsRoutes(api func(string, func(http.ResponseWriter, *http.Request, Principal))) {
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusFound)
	})
	api("GET /api/v1/customers", s.listCustomers)
	if s.opts.Ops == nil {
		return
	}
	api("GET /api/v1/status", s.status)
	api("POST /api/v1/carriers/{carrier}/drain", s.drainCarrier)
	api("POST /api/v1/carriers/{carrier}/resume", s.resumeCarrier)
	if rl, ok := s.opts.Ops.(Reloader); ok {
		api("POST /api/v1/reload", func(w http.ResponseWriter, r *http.Request, who Principal) { s.reload(w, r, who, rl) })
	}
}

func operatorOnly(w http.ResponseWriter, who Principal) bool {
	if !who.Operator() {
		writeError(w, http.StatusForbidden, "operators only")
		return false
	}
	return true
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, who Principal) {
	if !operatorOnly(w, who) {
		return
	}
	out := []CustomerView{}
	for _, c := range s.opts.Customers.All() {
		out = append(out, customerView(c))
	}
	slices.SortFunc(out, func(a, b CustomerView) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, who Principal) {
	if !operatorOnly(w, who) {
		return
	}
	writeJSON(w, http.StatusOK, s.opts.Ops.Status(r.Context()))
}

func opsStatus(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrRefused):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// opsChange audits an operation and answers its result or its refusal.
func (s *Server) opsChange(w http.ResponseWriter, r *http.Request, who Principal, action, target, detail string, fn func() (any, error)) {
	if !operatorOnly(w, who) {
		return
	}
	res, err := fn()
	if aerr := s.audit(r, who, action, target, detail, err); aerr != nil {
		writeError(w, http.StatusInternalServerError, "audit log unavailable: "+aerr.Error())
		return
	}
	if err != nil {
		writeError(w, opsStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) drainCarrier(w http.ResponseWriter, r *http.Request, who Principal) {
	name := r.PathValue("carrier")
	s.opsChange(w, r, who, "carrier.drain", name, "", func() (any, error) {
		ctx, cancel := context.WithTimeout(r.Context(), drainWait)
		defer cancel()
		n, err := s.opts.Ops.Drain(ctx, name)
		return map[string]any{"carrier": name, "drained": true, "in_flight": n}, err
	})
}

func (s *Server) resumeCarrier(w http.ResponseWriter, r *http.Request, who Principal) {
	name := r.PathValue("carrier")
	s.opsChange(w, r, who, "carrier.resume", name, "", func() (any, error) {
		return map[string]any{"carrier": name, "drained": false}, s.opts.Ops.Resume(name)
	})
}

// reload is audited with what changed, or for a refused file, what it
// would have changed.
func (s *Server) reload(w http.ResponseWriter, r *http.Request, who Principal, rl Reloader) {
	if !operatorOnly(w, who) {
		return
	}
	changes, err := rl.Reload(r.Context())
	if aerr := s.audit(r, who, "config.reload", "config", strings.Join(changes, "; "), err); aerr != nil {
		writeError(w, http.StatusInternalServerError, "audit log unavailable: "+aerr.Error())
		return
	}
	if err != nil {
		writeError(w, opsStatus(err), err.Error())
		return
	}
	if changes == nil {
		changes = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"reloaded": true, "changes": changes})
}

// customerView is a customer as the API shows it.
func customerView(c *customer.Customer) CustomerView {
	v := CustomerView{ID: c.ID, Name: c.Name, Suspended: c.Suspended, SuspendReason: c.SuspendReason, EndDate: c.EndDate,
		Senders: append([]string{}, c.Senders...), SenderKeys: append([]string{}, c.SenderKeys...),
		Numbers: numbers(c), Products: []string{}}
	for _, p := range c.Products {
		v.Products = append(v.Products, p.String())
	}
	return v
}
