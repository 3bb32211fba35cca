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
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/customer"
)

// A relay that ran alone kept its run-time changes in data_dir/runtime.json.
// Started with [cluster], it moves them to the shared state bucket once, so
// that they do not vanish:
//
//  1. At start, the changes of runtime.json other than drains (customers'
//     senders, suspensions and contract ends, shared marks, payment
//     subscriptions, API keys) are set aside in runtime.to-cluster.json
//     (merged over what an earlier start set aside and did not move yet),
//     and runtime.json keeps the drains alone, as in a cluster.
//  2. Once the node has read the bucket, each change set aside is written
//     to its key only if the bucket does not hold that key: what any node
//     wrote wins over what this node did alone. The changes written are
//     put in force on this node as if read from the bucket; the other
//     nodes read them from it.
//  3. The file set aside is then renamed runtime.moved-to-cluster.json:
//     kept for the record, never read again. Without a quorum, step 2 is
//     tried again until it is done or the node stops (and again at the
//     next start).
//
// The template and opt-out journals a relay alone keeps (templates.jsonl,
// optout.jsonl) are moved the same way in step 2: each template's last
// change and each number on a customer's list (its key, if the bucket does
// not hold it), after which the journal is renamed *.moved-to-cluster.jsonl.
// A node in a cluster never writes them, so they need no setting aside.
const (
	toClusterFile    = "runtime.to-cluster.json"
	movedClusterFile = "runtime.moved-to-cluster.json"
)

// setAsideLocked keeps the changes alone made besides drains in
// toClusterFile, and runtime.json without them.
func (s *runtimeState) setAsideLocked(alone stateDoc) error {
	aside := filepath.Join(filepath.Dir(s.path), toClusterFile)
	var doc stateDoc
	b, err := os.ReadFile(aside)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", aside, err)
		}
	}
	if len(alone.Customers)+len(alone.Payments)+len(alone.Shared)+len(alone.APIKeys) > 0 {
		doc.Version = 1
		doc.Customers = mergeMaps(doc.Customers, alone.Customers)
		doc.Payments = mergeMaps(doc.Payments, alone.Payments)
		doc.Shared = mergeMaps(doc.Shared, alone.Shared)
		doc.APIKeys = mergeMaps(doc.APIKeys, alone.APIKeys)
		if err := writeFileSynced(aside, &doc); err != nil {
			return err
		}
		if err := s.saveLocked(); err != nil { // the drains alone
			return err
		}
	}
	if len(doc.Customers)+len(doc.Payments)+len(doc.Shared)+len(doc.APIKeys) > 0 {
		s.toCluster = &doc
	}
	return nil
}

// mergeMaps is a with b's entries over it.
func mergeMaps[V any](a, b map[string]V) map[string]V {
	if a == nil && len(b) > 0 {
		a = make(map[string]V, len(b))
	}
	maps.Copy(a, b)
	return a
}

// moveToCluster starts moving the changes set aside to the shared state
// bucket, in the background, until done or the node stops.
func (d *Daemon) moveToCluster() {
	doc := d.state.toCluster
	if d.sharedState == nil || (doc == nil && len(aloneJournals(d.cfg.DataDir)) == 0) {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stopMove = cancel
	d.background.Go(func() {
		defer cancel()
		pause := time.Second
		for {
			err := d.movedToCluster(ctx, doc)
			if err == nil || ctx.Err() != nil {
				return
			}
			d.log.Warn("relay: cluster: the run-time changes made alone are not moved yet; trying again", "err", err, "in", pause)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, 30*time.Second)
		}
	})
}

func (d *Daemon) stopMoving() {
	if d.stopMove != nil {
		d.stopMove()
	}
}

// movedToCluster writes every change of doc and of the journals the
// bucket does not hold, puts those in force here, and marks the files
// moved.
func (d *Daemon) movedToCluster(ctx context.Context, doc *stateDoc) error {
	if err := d.sharedState.WaitLoaded(ctx); err != nil {
		return err
	}
	dir := d.cfg.DataDir
	var keys []string
	var values [][]byte
	renames := map[string]string{}
	if doc != nil {
		k, v, err := toClusterEntries(doc)
		if err != nil {
			return err
		}
		keys, values = k, v
		renames[toClusterFile] = movedClusterFile
	}
	for _, name := range aloneJournals(dir) {
		k, v, err := journalEntries(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		keys, values = append(keys, k...), append(values, v...)
		renames[name] = strings.TrimSuffix(name, ".jsonl") + ".moved-to-cluster.jsonl"
	}
	var moved, kept []string
	var optOutsMoved, optOutsKept int // counted: numbers are personal data, kept out of the log
	var batch []cluster.StateChange
	for i, k := range keys {
		rev, err := d.sharedState.Create(ctx, k, values[i])
		switch {
		case errors.Is(err, cluster.ErrConflict) && strings.HasPrefix(k, keyOptOut):
			optOutsKept++
		case errors.Is(err, cluster.ErrConflict):
			kept = append(kept, describeKey(k))
		case err != nil:
			return err
		default:
			if strings.HasPrefix(k, keyOptOut) {
				optOutsMoved++
			} else {
				moved = append(moved, describeKey(k))
			}
			batch = append(batch, cluster.StateChange{Key: k, Value: values[i], Revision: rev})
		}
	}
	if len(batch) > 0 {
		d.applyShared(batch)
	}
	for _, from := range slices.Sorted(maps.Keys(renames)) {
		if err := os.Rename(filepath.Join(dir, from), filepath.Join(dir, renames[from])); err != nil {
			return err
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	d.log.Info("relay: cluster: the run-time changes this node made alone are moved to the shared state",
		"moved", strings.Join(moved, ", "), "kept_the_bucket's", strings.Join(kept, ", "),
		"opt_outs_moved", optOutsMoved, "opt_outs_kept_the_bucket's", optOutsKept,
		"records", strings.Join(slices.Sorted(maps.Values(renames)), ", "))
	return nil
}

// toClusterEntries is doc as the shared state bucket's keys and values,
// in a stable order.
func toClusterEntries(doc *stateDoc) (keys []string, values [][]byte, err error) {
	add := func(k string, v any) {
		b, merr := json.Marshal(v)
		if merr != nil && err == nil {
			err = merr
		}
		keys, values = append(keys, k), append(values, b)
	}
	for _, id := range slices.Sorted(maps.Keys(doc.Customers)) {
		add(customerKey(id), doc.Customers[id])
	}
	for _, n := range slices.Sorted(maps.Keys(doc.Shared)) {
		add(sharedKey(n), doc.Shared[n])
	}
	for _, mid := range slices.Sorted(maps.Keys(doc.Payments)) {
		add(paymentKey(mid), doc.Payments[mid])
	}
	for _, h := range slices.Sorted(maps.Keys(doc.APIKeys)) {
		if _, herr := customer.CheckAPIKeyHash(h); herr == nil {
			add(apiKeyKey(h), doc.APIKeys[h])
		}
	}
	return keys, values, err
}

// describeKey names a bucket key for the log: its kind and its parts.
func describeKey(k string) string {
	kind, rest, _ := strings.Cut(k, ".")
	var parts []string
	for p := range strings.SplitSeq(rest, ".") {
		if v, ok := keyUnpart(p); ok {
			if kind+"." == keyAPIKey {
				v = strings.TrimPrefix(v, "sha256:")[:min(12, len(strings.TrimPrefix(v, "sha256:")))]
			}
			parts = append(parts, v)
		}
	}
	return kind + " " + strings.Join(parts, " ")
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
