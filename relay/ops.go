package relay

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/ops"
	"github.com/msgrelay/relay/relay/smppserver"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/webhook"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/store"
)

// listenOps serves /metrics (Prometheus text), /healthz (the process
// runs), /readyz (it can take traffic: every product a route or the Kakao
// channel serves has a live path) and /status (what is up, what waits).
func (d *Daemon) listenOps() error {
	if d.cfg.OpsListen == "" {
		return nil
	}
	ops.RegisterDataDir(d.set, d.cfg.DataDir)
	exp := ops.NewExposition(true, ops.AccessHelp, intake.MetricHelp, dispatch.MetricHelp, ops.DiskHelp, smpp.MetricHelp, kakaobiz.MetricHelp,
		store.MetricHelp, door.MetricHelp, upstream.MetricHelp, admin.MetricHelp, httpapi.MetricHelp, webhook.MetricHelp, smppserver.MetricHelp, cluster.MetricHelp, reportsHelp)
	exp.Add(d.set.WritePrometheus)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		exp.WritePrometheus(w)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rep := d.Status(r.Context(), false)
		if !rep.Ready {
			http.Error(w, "not ready: "+strings.Join(rep.Problems, "; "), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
		for _, warn := range rep.Warnings {
			fmt.Fprintf(w, "warning: %s\n", warn)
		}
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		rep := d.Status(r.Context(), true)
		ops.ServeStatus(w, r, rep)
	})
	ln, err := net.Listen("tcp", d.cfg.OpsListen)
	if err != nil {
		return err
	}
	d.opsLn = ln
	d.ops = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	d.background.Go(func() { _ = d.ops.Serve(ln) })
	return nil
}

// statusTimeout bounds what a status or readiness answer may wait for: a
// Kakao token fetch.
const statusTimeout = 3 * time.Second

// openScanLimit bounds the open messages a status page reads.
const openScanLimit = 100_000

// Status gathers the relay's state; full adds what costs a store scan (the
// open messages) and the per-customer table.
func (d *Daemon) Status(ctx context.Context, full bool) *ops.Report {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	rep := &ops.Report{Time: d.opts.Now(), Paths: d.disp.Paths(ctx), Dispatch: d.disp.Status(),
		Store: ops.StoreStatus{Healthy: true, AgeColumns: ops.AgeColumns()}}
	select {
	case <-d.st.Failed():
		rep.Store.Healthy, rep.Store.Error = false, "a commit failed; the relay exits so a restart recovers the store"
	default:
	}
	rep.Store.FreeBytes, _ = ops.DiskSpace(d.cfg.DataDir)
	if full {
		if sum, err := d.st.OpenSummary(d.opts.Now(), openScanLimit); err != nil {
			rep.Store.Healthy, rep.Store.Error = false, "reading open messages: "+err.Error()
		} else {
			rep.Store.Open = sum
		}
		rep.Customers = d.customerLoad()
	}
	if d.reportExpiry != nil {
		rep.Reports.Expired = d.reportExpiry.Expired()
	}
	rep.Cluster = d.clusterStatus()
	rep.Judge()
	return rep
}

// customerLoad is every customer's connections and submits in flight,
// by ingress: the upstream protocol's bound connections, the SMPP server's
// binds, the HTTP API's requests.
func (d *Daemon) customerLoad() []ops.CustomerRow {
	up := d.up.CustomerStatus()
	var binds map[string]int
	if d.smpp != nil {
		binds = d.smpp.CustomerBinds()
	}
	smpp, web := d.load.inFlight(message.IngressSMPP), d.load.inFlight(message.IngressHTTP)
	var rows []ops.CustomerRow
	for _, c := range d.reg.All() {
		row := ops.CustomerRow{ID: c.ID, Suspended: c.Suspended}
		row.Add("upstream", ops.IngressLoad{Conns: up[c.ID].Conns, InFlight: up[c.ID].InFlight})
		row.Add("smpp", ops.IngressLoad{Conns: binds[c.ID], InFlight: smpp[c.ID].messages})
		row.Add("http", ops.IngressLoad{Conns: web[c.ID].calls, InFlight: web[c.ID].messages})
		rows = append(rows, row)
	}
	return rows
}

// operations are the daemon's controls on the admin API.
type operations struct{ d *Daemon }

var _ admin.Operations = operations{}

func (o operations) Status(ctx context.Context) any { return o.d.Status(ctx, true) }

// Drain takes a carrier out of routing; the drain is written to the
// run-time state first, so it outlives a restart until Resume.
func (o operations) Drain(ctx context.Context, carrier string) (int, error) {
	if err := o.known(carrier); err != nil {
		return 0, err
	}
	if err := o.d.state.setDrained(carrier, true); err != nil {
		return 0, err
	}
	return o.d.disp.Drain(ctx, carrier)
}

// Resume puts a drained carrier back into routing and clears its drain
// from the run-time state.
func (o operations) Resume(carrier string) error {
	if err := o.known(carrier); err != nil {
		return err
	}
	if err := o.d.state.setDrained(carrier, false); err != nil {
		return err
	}
	return o.d.disp.Resume(carrier)
}

// known says whether the dispatcher has the carrier, as admin.ErrNotFound.
func (o operations) known(carrier string) error {
	if !slices.Contains(o.d.disp.Carriers(), carrier) {
		return fmt.Errorf("%w: %w %q", admin.ErrNotFound, dispatch.ErrNoCarrier, carrier)
	}
	return nil
}

// addrs are the addresses the relay listens on, as log attributes; a
// listener that is off is left out.
func (d *Daemon) addrs() []any {
	var out []any
	for _, l := range []struct {
		name string
		ln   net.Listener
	}{{"upstream", d.upLn}, {"smpp", d.smppLn}, {"http", d.httpLn}, {"ops", d.opsLn}, {"admin", d.adminLn}} {
		if l.ln != nil {
			out = append(out, l.name, l.ln.Addr().String())
		}
	}
	return out
}

func (o operations) Reload(ctx context.Context) ([]string, error) { return o.d.Reload(ctx) }
