package relay

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
)

// Reload reads the configuration again and applies what can change while
// the relay runs, or refuses the whole file and keeps the running
// configuration. It returns what changed.
//
// What a reload applies today: the [[customer]] tables (customers added,
// removed or changed: secrets, API keys, products, rates, senders, sender
// keys). Connections stay open: each bind and submit looks its customer up
// when it comes, so a removed customer's next submit is refused and a
// changed one is checked with its new settings. A file that changes any
// other key is refused whole, naming the keys, which need a restart.
//
// The merge rule is the restart's: the file gives each customer; what an
// operator changed at run time through the admin API (senders and their
// registrations, suspensions; data_dir/runtime.json) wins over the file
// for that customer, so a reload never undoes an operator's change. To
// drop a run-time change, undo it through the admin API.
func (d *Daemon) Reload(context.Context) ([]string, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	refuse := func(err error) ([]string, error) { return nil, fmt.Errorf("%w: %w", admin.ErrRefused, err) }
	if d.opts.LoadConfig == nil {
		return refuse(fmt.Errorf("relay: reload: the relay was started without a configuration file"))
	}
	cfg, err := d.opts.LoadConfig()
	if err == nil {
		err = cfg.CheckSecrets()
	}
	if err != nil {
		return refuse(err)
	}
	if keys := restartKeys(d.cfg, cfg); len(keys) > 0 {
		return refuse(fmt.Errorf("relay: reload: %s changed; a reload applies [[customer]] only, these need a restart",
			strings.Join(keys, ", ")))
	}
	cs, err := customer.Load(cfg.Customers, customer.LoadOptions{})
	if err != nil {
		return refuse(err)
	}
	changes := customerChanges(d.cfg.Customers, cfg.Customers)
	d.reg.Replace(d.state.applyCustomers(cs))
	d.cfg.Customers = cfg.Customers
	d.log.Info("relay: configuration reloaded", "changes", strings.Join(changes, "; "))
	return changes, nil
}

// restartKeys names the top-level keys whose values differ between the
// running configuration and the new one, [[customer]] aside.
func restartKeys(old, new *Config) []string {
	var keys []string
	ov, nv := reflect.ValueOf(*old), reflect.ValueOf(*new)
	for i := range ov.NumField() {
		f := ov.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "customer" || name == "" {
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			keys = append(keys, name)
		}
	}
	return keys
}

// customerChanges says which customers a reload adds, removes or changes.
func customerChanges(old, new []customer.Config) []string {
	var out []string
	byID := map[string]customer.Config{}
	for _, c := range old {
		byID[c.ID] = c
	}
	for _, c := range new {
		o, ok := byID[c.ID]
		switch {
		case !ok:
			out = append(out, "customer "+c.ID+" added")
		case !reflect.DeepEqual(o, c):
			out = append(out, "customer "+c.ID+" changed")
		}
		delete(byID, c.ID)
	}
	for id := range byID {
		out = append(out, "customer "+id+" removed")
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// reloadBySignal reloads at a SIGHUP and audits it as the admin API audits
// its reloads.
func (d *Daemon) reloadBySignal(ctx context.Context) {
	changes, err := d.Reload(ctx)
	e := admin.Entry{At: d.opts.Now().UTC(), Who: "SIGHUP", Scope: "operator", Action: "config.reload",
		Target: "config", Detail: strings.Join(changes, "; "), Outcome: "ok"}
	if err != nil {
		e.Outcome, e.Error = "refused", err.Error()
		d.log.Error("relay: reload refused; the running configuration stays", "err", err)
	}
	if d.audit != nil {
		if aerr := d.audit.Record(e); aerr != nil {
			d.log.Error("relay: audit of a reload failed", "err", aerr)
		}
	}
}
