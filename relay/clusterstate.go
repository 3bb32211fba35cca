package relay

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/msgrelay/relay/relay/admin"
	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/optout"
	"github.com/msgrelay/relay/relay/payment"
)

// In a cluster, what an operator or customer changes at run time is kept
// in the shared state bucket, one key per thing changed, and every node
// applies every change, its own as it makes it and the others' as it reads
// them back. The merge rule is the one a single relay applies to
// runtime.json: the configuration file is the starting point and the
// bucket's changes win over it, at a reload as at a start.
//
// The keys, part of the cluster's format (ids and codes are base64url
// without padding, so any id makes a valid key):
//
//	customer.<id>              customerState JSON (senders, registrations, suspension, end date)
//	shared.<number>            true or false: the number's shared mark
//	payment.<mid>              the subscription's JSON, null once removed at run time
//	template.<sender key>.<code>  {"put": template} or {"remove": {...}}
//	optout.<customer>.<number> "1" on the customer's opt-out list, "0" taken off it
//	apikey.<hash>              apiKeyState JSON: {"customer": id} in force, {"customer": id, "revoked": true}
//
// A change of a customer, a subscription or an API key is written only if no other
// node changed its key since this node read it (else the caller is told to
// retry, and nothing changed); the others are whole values, the last
// written wins. Without a quorum nothing changes and the caller is told.
const (
	keyCustomer = "customer."
	keyShared   = "shared."
	keyPayment  = "payment."
	keyTemplate = "template."
	keyOptOut   = "optout."
	keyAPIKey   = "apikey."
)

func keyPart(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func keyUnpart(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err == nil
}

func customerKey(id string) string   { return keyCustomer + keyPart(id) }
func sharedKey(number string) string { return keyShared + keyPart(number) }
func paymentKey(mid string) string   { return keyPayment + keyPart(mid) }
func templateKey(senderKey, code string) string {
	return keyTemplate + keyPart(senderKey) + "." + keyPart(code)
}
func apiKeyKey(hash string) string { return keyAPIKey + keyPart(hash) }
func optOutKey(customer, number string) string {
	return keyOptOut + keyPart(customer) + "." + keyPart(number)
}

// shareState opens the shared state bucket, once every registry is built:
// from then on run-time changes go to it, and every change read from it
// is applied. Without [cluster] it does nothing.
func (d *Daemon) shareState() error {
	if d.cluster == nil {
		return nil
	}
	d.sharedState = d.cluster.OpenState(d.applyShared)
	d.state.kv.Store(d.sharedState)
	d.moveToCluster()
	return nil
}

// recordOptOut keeps an opt-out change in the shared state bucket.
func (s *runtimeState) recordOptOut(customer string, add, remove []string) error {
	kv := s.kv.Load()
	if kv == nil {
		return sharedErr(cluster.ErrNoState)
	}
	keys := make([]string, 0, len(add)+len(remove))
	values := make([][]byte, 0, len(add)+len(remove))
	for _, n := range add {
		keys, values = append(keys, optOutKey(customer, n)), append(values, []byte("1"))
	}
	for _, n := range remove {
		keys, values = append(keys, optOutKey(customer, n)), append(values, []byte("0"))
	}
	return sharedErr(kv.PutAll(context.Background(), keys, values))
}

// sharedErr marks the shared state's refusals for the admin API: a
// conflict (409, retry) or no quorum (503).
func sharedErr(err error) error {
	switch {
	case errors.Is(err, cluster.ErrConflict):
		return fmt.Errorf("%w: %w", admin.ErrConflict, err)
	case errors.Is(err, cluster.ErrNoState):
		return fmt.Errorf("%w: %w", admin.ErrUnavailable, err)
	}
	return err
}

// templateChanged keeps a template change in the shared state bucket.
func (s *runtimeState) templateChanged(t *templates.Template, removed bool) error {
	c := templateChange{Put: t}
	if removed {
		c = templateChange{Remove: &templates.Template{SenderKey: t.SenderKey, Code: t.Code}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{t.SenderKey, t.Code}
	undo := setUndoable(s.mu.templates, k, c)
	if err := s.persistLocked(templateKey(t.SenderKey, t.Code), c, false); err != nil {
		undo()
		return err
	}
	return nil
}

// replayTemplates replays the run-time template changes of the shared
// state through put and remove.
func (s *runtimeState) replayTemplates(put func(templates.Template) error, remove func(senderKey, code string) error) error {
	s.mu.Lock()
	changes := slices.Collect(maps.Values(s.mu.templates))
	s.mu.Unlock()
	for _, c := range changes {
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := replayTemplateChange(b, put, remove); err != nil {
			return err
		}
	}
	return nil
}

// sharedChanges is what a batch read from the bucket changed, by kind.
type sharedChanges struct {
	customers, shared, payments, templates bool
	optOuts                                map[string]map[string]bool // customer → number → on the list (the last value of the batch)
}

// mergeShared applies a batch of the bucket's changes to doc, each only if
// it is later than what doc has, and says what they changed.
func (s *runtimeState) mergeShared(batch []cluster.StateChange) sharedChanges {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out sharedChanges
	for _, c := range batch {
		if c.Value == nil {
			continue // purged by hand: nothing to apply
		}
		if strings.HasPrefix(c.Key, keyOptOut) {
			s.mergeOptOut(&out, c)
			continue
		}
		if c.Revision <= s.mu.revs[c.Key] {
			continue
		}
		s.mu.revs[c.Key] = c.Revision
		kind, rest, _ := strings.Cut(c.Key, ".")
		var err error
		switch kind + "." {
		case keyCustomer:
			id, ok := keyUnpart(rest)
			var v customerState
			if err = json.Unmarshal(c.Value, &v); ok && err == nil {
				s.mu.doc.Customers[id] = v
				out.customers = true
			}
		case keyShared:
			n, ok := keyUnpart(rest)
			var v bool
			if err = json.Unmarshal(c.Value, &v); ok && err == nil {
				if s.mu.doc.Shared == nil {
					s.mu.doc.Shared = map[string]bool{}
				}
				s.mu.doc.Shared[n] = v
				out.shared = true
			}
		case keyPayment:
			mid, ok := keyUnpart(rest)
			var v *payment.Subscription
			if err = json.Unmarshal(c.Value, &v); ok && err == nil {
				s.mu.doc.Payments[mid] = v
				out.payments = true
			}
		case keyAPIKey:
			h, ok := keyUnpart(rest)
			var v apiKeyState
			if err = json.Unmarshal(c.Value, &v); ok && err == nil {
				if _, herr := customer.CheckAPIKeyHash(h); herr == nil {
					if s.mu.doc.APIKeys == nil {
						s.mu.doc.APIKeys = map[string]apiKeyState{}
					}
					s.mu.doc.APIKeys[h] = v
					out.customers = true
				}
			}
		case keyTemplate:
			k, code, _ := strings.Cut(rest, ".")
			key, ok1 := keyUnpart(k)
			cd, ok2 := keyUnpart(code)
			var v templateChange
			if err = json.Unmarshal(c.Value, &v); ok1 && ok2 && err == nil {
				s.mu.templates[[2]string{key, cd}] = v
				out.templates = true
			}
		}
		if err != nil {
			s.mu.revs[c.Key] = c.Revision // unreadable: skipped, not retried
		}
	}
	return out
}

func (s *runtimeState) mergeOptOut(out *sharedChanges, c cluster.StateChange) {
	rest := strings.TrimPrefix(c.Key, keyOptOut)
	cp, np, _ := strings.Cut(rest, ".")
	cust, ok1 := keyUnpart(cp)
	num, ok2 := keyUnpart(np)
	if !ok1 || !ok2 {
		return
	}
	if out.optOuts == nil {
		out.optOuts = map[string]map[string]bool{}
	}
	if out.optOuts[cust] == nil {
		out.optOuts[cust] = map[string]bool{}
	}
	out.optOuts[cust][num] = string(c.Value) == "1"
}

// applyShared puts in force a batch of changes read from the shared state
// bucket: the registries are merged again from the configuration in force
// and the run-time state, as a reload merges them.
func (d *Daemon) applyShared(batch []cluster.StateChange) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	ch := d.state.mergeShared(batch)
	if ch.customers {
		d.reg.Replace(func() []*customer.Customer { return d.state.applyCustomers(d.reg.All()) })
	}
	if ch.shared {
		d.reg.ResetShared(d.state.shared(d.cfg.SharedSenders))
	}
	if ch.templates {
		if err := d.resetTemplates(d.cfg.Templates); err != nil {
			d.log.Error("relay: cluster: templates changed on another node cannot be put in force here", "err", err)
		}
	}
	if ch.payments {
		if err := d.payments.Reset(d.state.applyPayments(d.cfg.Payments)); err != nil {
			d.log.Error("relay: cluster: payment subscriptions changed on another node cannot be put in force here", "err", err)
		}
	}
	for cust, nums := range ch.optOuts {
		var add, remove []string
		for n, on := range nums {
			if on {
				add = append(add, n)
			} else {
				remove = append(remove, n)
			}
		}
		d.rules.optOuts.Apply(cust, add, remove)
	}
}

// openOptOuts is the opt-out list: its journal, or in a cluster the shared
// state bucket.
func (d *Daemon) openOptOuts(path string) (*optout.List, error) {
	if d.state.clustered {
		return optout.Shared(d.state.recordOptOut), nil
	}
	return optout.Open(path)
}

// SharedState is the cluster's shared customer state, nil without
// [cluster].
func (d *Daemon) SharedState() *cluster.State { return d.sharedState }

// OptOuts is the advertising opt-out lists, for tests and tools in this
// process.
func (d *Daemon) OptOuts() *optout.List { return d.rules.optOuts }
