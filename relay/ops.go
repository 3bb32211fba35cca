package relay

import (
	"net"
	"net/http"
	"time"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/ops"
	"github.com/msgrelay/relay/relay/smppserver"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/webhook"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/store"
)

// listenOps serves /metrics (Prometheus text), /healthz (the process
// runs) and /readyz (it can take traffic: every carrier has a live bind).
func (d *Daemon) listenOps() error {
	if d.cfg.OpsListen == "" {
		return nil
	}
	ops.RegisterDataDir(d.set, d.cfg.DataDir)
	exp := ops.NewExposition(true, intake.MetricHelp, dispatch.MetricHelp, ops.DiskHelp, smpp.MetricHelp, kakaobiz.MetricHelp,
		store.MetricHelp, door.MetricHelp, upstream.MetricHelp, admin.MetricHelp, httpapi.MetricHelp, webhook.MetricHelp, smppserver.MetricHelp)
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
		for _, name := range d.disp.Carriers() {
			if !d.disp.Live(name) {
				http.Error(w, "carrier "+name+" has no live bind", http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ready\n"))
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
