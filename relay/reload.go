package relay

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/msgrelay/relay/relay/admin"
	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/settle"
)

// reloadable are the top-level keys a reload applies; a file that changes
// any other key is refused whole, naming it. [admin] is reloadable only in
// its [[admin.token]] tables (see restartKeys).
var reloadable = []string{"customer", "carrier", "route", "door", "template", "settle", "admin"}

// Reload reads the configuration again and applies what changed while the
// relay runs, or refuses the whole file and keeps the running
// configuration. It returns what changed; for a refused file that could be
// read, what it would have changed.
//
// What a reload applies, without dropping an upstream connection, an SMPP
// server bind or an HTTP request:
//
//   - [[customer]]: customers added, removed or changed (secrets, API keys,
//     products, rates, senders, sender keys). Each bind and submit looks its
//     customer up when it comes, so a removed customer's next submit is
//     refused and a changed one is checked with its new settings.
//   - [[carrier]] and [[route]]: a carrier whose table and password are
//     unchanged keeps its binds; a changed one binds again and its old binds
//     drain (submits in flight answered, receipts recorded, then unbind);
//     an added one binds; a removed one drains and unbinds, and the messages
//     waiting for it are routed again by the new rules, or fail with
//     no-route when no rule takes them (dispatch.Dispatcher.Reconfigure).
//   - [door]: the limits, for the next message; the customers' rate
//     buckets are kept.
//   - [[template]]: the AlimTalk templates, with the run-time changes
//     replayed over them.
//   - [settle] prices and [[admin.token]] tables: for the next admin
//     request; the page sessions of a removed token end.
//
// Every other key (listeners, data_dir, [dispatch], [kakao], payments, ...)
// needs a restart: a file that changes one is refused whole, naming it. So
// is a file that fails the checks -check-config makes, whose carriers or
// templates cannot be put in force, or that takes from a payment
// subscription in force (one put at run time included) its customer, its
// sender profile or its templates; the running configuration stays.
//
// The merge rule, for run-time changes made through the admin API and the
// file: the file is the starting point, and what an operator or customer
// changed at run time wins over it, at a reload as at a restart, so neither
// undoes an operator's change. Per customer, its senders and their
// registrations, suspension and contract end (data_dir/runtime.json)
// replace the file's; an API key added or revoked at run time is its
// customer's, or revoked, whatever the file's api_keys say (runtime.json); a drained carrier stays drained when the file changes
// it (runtime.json) and its drain is dropped when the file removes it;
// template puts and removals (data_dir/templates.jsonl) are replayed over
// the file's [[template]] tables; opt-outs (data_dir/optout.jsonl) are not
// in the file at all. In a cluster, the shared state bucket stands for
// runtime.json and the journals, drains aside (clusterstate.go). To drop
// a run-time change, undo it through the admin API.
func (d *Daemon) Reload(context.Context) ([]string, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	refuse := func(changes []string, err error) ([]string, error) {
		return changes, fmt.Errorf("%w: %w", admin.ErrRefused, err)
	}
	if d.opts.LoadConfig == nil {
		return refuse(nil, errors.New("relay: reload: the relay was started without a configuration file"))
	}
	cfg, err := d.opts.LoadConfig()
	if err != nil {
		return refuse(nil, err)
	}
	changes := configChanges(d.cfg, cfg)
	if err := cfg.CheckSecrets(); err != nil {
		return refuse(changes, err)
	}
	if keys := restartKeys(d.cfg, cfg); len(keys) > 0 {
		return refuse(changes, fmt.Errorf("relay: reload: %s changed; a reload applies %s, these need a restart",
			strings.Join(keys, ", "), strings.Join(reloadable, ", ")))
	}
	// Everything that can fail without changing anything.
	cs, err := customer.Load(cfg.Customers, customer.LoadOptions{})
	if err != nil {
		return refuse(changes, err)
	}
	if err := subscriptionsOwned(d.payments.All(), cs); err != nil {
		return refuse(changes, err)
	}
	var tokens *admin.Tokens
	var settler *settle.Settler
	if d.admin != nil {
		if tokens, err = admin.LoadTokens(cfg.Admin.Tokens, nil); err != nil {
			return refuse(changes, err)
		}
		if settler, err = settle.New(cfg.Settle); err != nil {
			return refuse(changes, err)
		}
	}
	// What can fail, each undone if a later one does.
	if err := d.resetTemplates(cfg.Templates); err != nil {
		return refuse(changes, fmt.Errorf("relay: reload: templates: %w", err))
	}
	// The store keys the receipts of a carrier's next messages by its
	// account before any carrier of the new set sends one.
	d.st.SetAccounts(dispatch.Accounts(cfg.Carriers))
	carriers, err := d.disp.Reconfigure(cfg.Carriers, cfg.Routes, cfg.Door)
	if err != nil {
		d.st.SetAccounts(dispatch.Accounts(d.cfg.Carriers))
		if uerr := d.resetTemplates(d.cfg.Templates); uerr != nil {
			d.log.Error("relay: reload: putting the templates back failed", "err", uerr)
		}
		return refuse(changes, fmt.Errorf("relay: reload: carriers: %w", err))
	}
	for _, c := range carriers { // a password file's new content changes a carrier too
		if !slices.Contains(changes, c) {
			changes = append(changes, c)
		}
	}
	slices.Sort(changes)
	// What cannot fail.
	if err := d.door.SetConfig(cfg.Door); err != nil { // Validate passed it
		d.log.Error("relay: reload: door limits", "err", err)
	}
	d.reg.Replace(func() []*customer.Customer { return d.state.applyCustomers(cs) })
	if d.devReceiver != nil { // the dev webhook receiver checks the customers' signatures
		var secrets []string
		for _, c := range d.reg.All() {
			secrets = append(secrets, c.WebhookSecrets()...)
		}
		d.devReceiver.SetSecrets(secrets...)
	}
	if d.admin != nil {
		d.admin.Reload(tokens, settler)
	}
	for _, name := range d.state.drained() {
		if !slices.ContainsFunc(cfg.Carriers, func(c dispatch.CarrierConfig) bool { return c.Name == name }) {
			if err := d.state.setDrained(name, false); err != nil {
				d.log.Error("relay: reload: dropping the drain of a removed carrier", "carrier", name, "err", err)
			}
		}
	}
	d.cfg.Customers, d.cfg.Carriers, d.cfg.Routes = cfg.Customers, cfg.Carriers, cfg.Routes
	d.cfg.Door, d.cfg.Templates, d.cfg.Settle, d.cfg.Admin.Tokens = cfg.Door, cfg.Templates, cfg.Settle, cfg.Admin.Tokens
	d.log.Info("relay: configuration reloaded", "changes", strings.Join(changes, "; "))
	return changes, nil
}

// subscriptionsOwned checks that every payment subscription in force
// (the file's, and those put at run time) still has its customer and
// sender profile among the reloaded customers.
func subscriptionsOwned(subs []*payment.Subscription, cs []*customer.Customer) error {
	byID := map[string]*customer.Customer{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	for _, s := range subs {
		if c := byID[s.Customer]; c == nil || !c.HasSenderKey(s.SenderKey) {
			return fmt.Errorf("relay: reload: payment subscription %s needs customer %q with sender profile %q; change the subscription first",
				s.MID, s.Customer, s.SenderKey)
		}
	}
	return nil
}

// resetTemplates puts ts in force with the run-time template changes
// replayed over them, refusing a set that leaves a payment subscription
// without the template it renders.
func (d *Daemon) resetTemplates(ts []templates.Template) error {
	replay := d.rules.tlog.replay
	check := func(get func(senderKey, code string) *templates.Template) error {
		for _, s := range d.payments.All() {
			for _, t := range s.Templates {
				if err := paymentTemplateFits(get, s.SenderKey, t); err != nil {
					return fmt.Errorf("payment subscription %s: %w", s.MID, err)
				}
			}
		}
		return nil
	}
	return d.rules.templates.Reset(ts, replay, check)
}

// restartKeys names the top-level keys whose values differ between the
// running configuration and the new one, the reloadable ones aside. Of
// [admin], only the tokens are reloadable.
func restartKeys(old, new *Config) []string {
	var keys []string
	ov, nv := reflect.ValueOf(*old), reflect.ValueOf(*new)
	for i := range ov.NumField() {
		f := ov.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || (slices.Contains(reloadable, name) && name != "admin") {
			continue
		}
		o, n := ov.Field(i).Interface(), nv.Field(i).Interface()
		if name == "admin" {
			oa, na := old.Admin, new.Admin
			oa.Tokens, na.Tokens = nil, nil
			o, n = oa, na
		}
		if !reflect.DeepEqual(o, n) {
			keys = append(keys, name)
		}
	}
	return keys
}

// configChanges says what a reload from old to new changes, of the keys a
// reload applies: customers and carriers one by one, the others by table.
func configChanges(old, new *Config) []string {
	out := append(named(old.Customers, new.Customers, "customer", func(c customer.Config) string { return c.ID }),
		named(old.Carriers, new.Carriers, "carrier", func(c dispatch.CarrierConfig) string { return c.Name })...)
	for _, t := range []struct {
		what     string
		old, new any
	}{
		{"routes", old.Routes, new.Routes},
		{"door limits", old.Door, new.Door},
		{"templates", old.Templates, new.Templates},
		{"prices", old.Settle, new.Settle},
		{"admin tokens", old.Admin.Tokens, new.Admin.Tokens},
	} {
		if !reflect.DeepEqual(t.old, t.new) {
			out = append(out, t.what+" changed")
		}
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// named says which entries of a list keyed by name a reload adds, removes
// or changes.
func named[T any](old, new []T, what string, name func(T) string) []string {
	var out []string
	byName := map[string]T{}
	for _, c := range old {
		byName[name(c)] = c
	}
	for _, c := range new {
		o, ok := byName[name(c)]
		switch {
		case !ok:
			out = append(out, what+" "+name(c)+" added")
		case !reflect.DeepEqual(o, c):
			out = append(out, what+" "+name(c)+" changed")
		}
		delete(byName, name(c))
	}
	for n := range byName {
		out = append(out, what+" "+n+" removed")
	}
	return out
}

// reloadBySignal reloads at a SIGHUP and audits it as the admin API audits
// its reloads: with what changed, or what a refused file would have
// changed.
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
