package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/payment"
)

// runtimeState keeps what operators change while the relay runs (sender
// numbers, suspensions, payment subscriptions, customers' API keys,
// drained carriers) so that a restart keeps it:
// the configuration file is the starting point, these overrides win.
//
// It lives in data_dir/runtime.json, rewritten whole on every change
// (write to a temporary file, fsync, rename, fsync the directory), before
// the change takes effect: the registries call their observer first and
// make no change if it fails.
//
// In a cluster the customers' state, shared marks, payment subscriptions
// and API keys live in the shared state bucket instead, one key each,
// written before the change takes effect as the file is, and read back by
// every node (clusterstate.go); runtime.json keeps only this node's drained
// carriers, whose binds are its own.
type runtimeState struct {
	path      string
	clustered bool
	// toCluster, in a cluster, is what the node changed at run time while
	// it ran alone and has not moved to the shared state yet
	// (statemigrate.go); nil when there is nothing to move.
	toCluster *stateDoc
	kv        atomic.Pointer[cluster.State] // clustered: set once the daemon shares its state

	mu struct {
		sync.Mutex
		doc stateDoc
		// In a cluster: the bucket revision of each key applied to doc (a
		// change read back must not undo a later one), and the run-time
		// template changes by sender profile and code.
		revs      map[string]uint64
		templates map[[2]string]templateChange
	}
}

type stateDoc struct {
	Version   int                              `json:"version"`
	Customers map[string]customerState         `json:"customers"`
	Payments  map[string]*payment.Subscription `json:"payments"`         // nil value: removed at run time
	Shared    map[string]bool                  `json:"shared,omitempty"` // sender numbers marked shared (false: unmarked)
	// APIKeys are the API keys added or revoked at run time, by stored
	// hash: a key is its customer's, or revoked, whatever the file says.
	APIKeys map[string]apiKeyState `json:"api_keys,omitempty"`
	// Drained are the carriers an operator took out of routing (relayctl
	// carriers drain), until resumed.
	Drained map[string]bool `json:"drained_carriers,omitempty"`
}

// apiKeyState is an API key's run-time change: in force for Customer, or
// revoked (from Customer, which no longer has it).
type apiKeyState struct {
	Customer string `json:"customer"`
	Revoked  bool   `json:"revoked,omitempty"`
}

type customerState struct {
	Senders       []string                `json:"senders"`
	Registrations []customer.Registration `json:"registrations,omitempty"`
	Suspended     bool                    `json:"suspended"`
	SuspendReason string                  `json:"suspend_reason,omitempty"`
	EndDate       string                  `json:"end_date,omitempty"`
}

func loadRuntimeState(dir string, clustered bool) (*runtimeState, error) {
	s := &runtimeState{path: filepath.Join(dir, "runtime.json"), clustered: clustered}
	s.mu.revs, s.mu.templates = map[string]uint64{}, map[[2]string]templateChange{}
	s.mu.doc = stateDoc{Version: 1, Customers: map[string]customerState{}, Payments: map[string]*payment.Subscription{}}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		if clustered { // what an earlier start set aside may be left to move
			if err := s.setAsideLocked(stateDoc{}); err != nil {
				return nil, fmt.Errorf("relay: %s: %w", s.path, err)
			}
		}
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &s.mu.doc); err != nil {
		return nil, fmt.Errorf("relay: %s: %w", s.path, err)
	}
	if s.mu.doc.Version != 1 {
		return nil, fmt.Errorf("relay: %s: unknown version %d", s.path, s.mu.doc.Version)
	}
	if s.mu.doc.Customers == nil {
		s.mu.doc.Customers = map[string]customerState{}
	}
	if s.mu.doc.Payments == nil {
		s.mu.doc.Payments = map[string]*payment.Subscription{}
	}
	if clustered { // the shared state bucket has the rest
		alone := s.mu.doc
		s.mu.doc = stateDoc{Version: 1, Customers: map[string]customerState{}, Payments: map[string]*payment.Subscription{},
			Drained: alone.Drained}
		if err := s.setAsideLocked(alone); err != nil {
			return nil, fmt.Errorf("relay: %s: setting aside the changes made alone: %w", s.path, err)
		}
	}
	return s, nil
}

// applyCustomers overrides loaded customers with the saved state.
func (s *runtimeState) applyCustomers(cs []*customer.Customer) []*customer.Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*customer.Customer, len(cs))
	added := s.addedKeysLocked()
	for i, c := range cs {
		out[i] = s.applyKeysLocked(c, added[c.ID])
		st, ok := s.mu.doc.Customers[c.ID]
		if !ok {
			continue
		}
		n := *out[i]
		n.Senders = slices.Clone(st.Senders)
		n.Registrations = slices.Clone(st.Registrations)
		n.Suspended, n.SuspendReason, n.EndDate = st.Suspended, st.SuspendReason, st.EndDate
		out[i] = &n
	}
	return out
}

// addedKeysLocked is the API keys put in force at run time, by customer,
// sorted.
func (s *runtimeState) addedKeysLocked() map[string][]string {
	out := map[string][]string{}
	for _, h := range slices.Sorted(maps.Keys(s.mu.doc.APIKeys)) {
		if st := s.mu.doc.APIKeys[h]; !st.Revoked {
			out[st.Customer] = append(out[st.Customer], h)
		}
	}
	return out
}

// applyKeysLocked gives c its API keys with the run-time changes over
// them: a key changed at run time is in force for the customer the change
// names (added: c's), unless revoked; the others are c's as they are.
func (s *runtimeState) applyKeysLocked(c *customer.Customer, added []string) *customer.Customer {
	if len(s.mu.doc.APIKeys) == 0 {
		return c
	}
	var keys []string
	changed := false
	for _, k := range c.APIKeys() {
		if st, ok := s.mu.doc.APIKeys[k.Hash]; ok && (st.Revoked || st.Customer != c.ID) {
			changed = true
			continue
		}
		keys = append(keys, k.Hash)
	}
	for _, h := range added {
		if !slices.Contains(keys, h) {
			keys, changed = append(keys, h), true
		}
	}
	if !changed {
		return c
	}
	n, err := c.WithAPIKeys(keys)
	if err != nil { // the admin API and the bucket's reader check hashes first
		return c
	}
	return n
}

// APIKeyChanged persists an API key's addition or revocation before the
// registry makes it. In a cluster the key's entry is written only if no
// other node changed it meanwhile: two nodes cannot give one key to two
// customers.
func (s *runtimeState) APIKeyChanged(id, hash string, revoked bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.doc.APIKeys == nil {
		s.mu.doc.APIKeys = map[string]apiKeyState{}
	}
	v := apiKeyState{Customer: id, Revoked: revoked}
	undo := setUndoable(s.mu.doc.APIKeys, hash, v)
	if err := s.persistLocked(apiKeyKey(hash), v, true); err != nil {
		undo()
		return err
	}
	return nil
}

// applyPayments overrides configured subscriptions with the saved state.
func (s *runtimeState) applyPayments(subs []payment.Subscription) []payment.Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []payment.Subscription
	seen := map[string]bool{}
	for _, sub := range subs {
		seen[sub.MID] = true
		if saved, ok := s.mu.doc.Payments[sub.MID]; ok {
			if saved != nil {
				out = append(out, *saved)
			}
			continue
		}
		out = append(out, sub)
	}
	for mid, saved := range s.mu.doc.Payments {
		if !seen[mid] && saved != nil {
			out = append(out, *saved)
		}
	}
	return out
}

// CustomerChanged persists a customer change before the registry makes it.
func (s *runtimeState) CustomerChanged(_ customer.Change, c *customer.Customer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := customerState{Senders: slices.Clone(c.Senders), Registrations: slices.Clone(c.Registrations),
		Suspended: c.Suspended, SuspendReason: c.SuspendReason, EndDate: c.EndDate}
	undo := setUndoable(s.mu.doc.Customers, c.ID, v)
	if err := s.persistLocked(customerKey(c.ID), v, true); err != nil {
		undo()
		return err
	}
	return nil
}

// shared is the configured shared sender numbers with the run-time marks
// applied.
func (s *runtimeState) shared(configured []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range configured {
		if n = customer.NormalizeNumber(n); s.mu.doc.Shared[n] || !hasKey(s.mu.doc.Shared, n) {
			out = append(out, n)
		}
	}
	for n, on := range s.mu.doc.Shared {
		if on && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func hasKey[K comparable, V any](m map[K]V, k K) bool { _, ok := m[k]; return ok }

// SenderShared persists a shared mark before the registry makes it.
func (s *runtimeState) SenderShared(number string, shared bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.doc.Shared == nil {
		s.mu.doc.Shared = map[string]bool{}
	}
	undo := setUndoable(s.mu.doc.Shared, number, shared)
	if err := s.persistLocked(sharedKey(number), shared, false); err != nil {
		undo()
		return err
	}
	return nil
}

// drained is the carriers an operator drained, sorted.
func (s *runtimeState) drained() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.mu.doc.Drained))
}

// setDrained persists a carrier's drain (or its resume) before the
// dispatcher makes it.
func (s *runtimeState) setDrained(carrier string, drained bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.doc.Drained[carrier] == drained {
		return nil
	}
	if s.mu.doc.Drained == nil {
		s.mu.doc.Drained = map[string]bool{}
	}
	var undo func()
	if drained {
		undo = setUndoable(s.mu.doc.Drained, carrier, true)
	} else {
		undo = deleteUndoable(s.mu.doc.Drained, carrier) // a resumed carrier is left out
	}
	if err := s.saveLocked(); err != nil {
		undo()
		return err
	}
	return nil
}

// SubscriptionChanged persists a payment subscription change.
func (s *runtimeState) SubscriptionChanged(ch payment.Change, sub *payment.Subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *payment.Subscription // nil records a removal
	if ch != payment.ChangeRemove {
		c := *sub
		v = &c
	}
	undo := setUndoable(s.mu.doc.Payments, sub.MID, v)
	if err := s.persistLocked(paymentKey(sub.MID), v, true); err != nil {
		undo()
		return err
	}
	return nil
}

// setUndoable sets m[k] = v and returns what puts m[k] back as it was.
func setUndoable[K comparable, V any](m map[K]V, k K, v V) (undo func()) {
	prev, had := m[k]
	m[k] = v
	return func() {
		if had {
			m[k] = prev
		} else {
			delete(m, k)
		}
	}
}

// deleteUndoable deletes m[k] and returns what puts it back.
func deleteUndoable[K comparable, V any](m map[K]V, k K) (undo func()) {
	prev, had := m[k]
	delete(m, k)
	return func() {
		if had {
			m[k] = prev
		}
	}
}

func (s *runtimeState) saveLocked() error {
	if s.clustered {
		return writeFileSynced(s.path, &stateDoc{Version: 1, Drained: s.mu.doc.Drained})
	}
	return writeFileSynced(s.path, &s.mu.doc)
}

// persistLocked keeps a change of doc: in runtime.json, or in a cluster in
// its key of the shared state bucket (checked: only if no other node
// changed the key since this node read it).
func (s *runtimeState) persistLocked(key string, v any, checked bool) error {
	if !s.clustered {
		return s.saveLocked()
	}
	kv := s.kv.Load()
	if kv == nil {
		return sharedErr(cluster.ErrNoState)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rev, err := kv.Put(context.Background(), key, b, checked)
	if err != nil {
		return sharedErr(err)
	}
	s.mu.revs[key] = max(s.mu.revs[key], rev)
	return nil
}

// writeFileSynced writes v as JSON to path whole: to a temporary file,
// fsynced, renamed over path, and the directory fsynced.
func writeFileSynced(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
