package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The shared state bucket: what operators and customers change at run time
// (senders, suspensions, payment subscriptions, shared marks, templates,
// opt-outs, API keys), one key per thing changed. Part of the cluster's format.
const (
	stateBucket = "RELAY_STATE"
	// stateHistory is how many values of a key the bucket keeps: the last
	// changes of a customer can be read back (nats kv history).
	stateHistory = 16
)

// Errors of a change to the shared state.
var (
	// ErrConflict is a change computed from a value that another node
	// changed meanwhile: nothing was written; read it again and retry.
	ErrConflict = errors.New("cluster: changed on another node meanwhile; nothing written, try again")
	// ErrNoState is a change the bucket did not keep: no quorum, or the
	// bucket is not set up yet. Nothing changed.
	ErrNoState = errors.New("cluster: the shared state is not reachable (no quorum); nothing changed")
)

// StateChange is a key of the shared state as the bucket has it now.
type StateChange struct {
	Key      string
	Value    []byte // nil: deleted or purged (by hand: the relay writes removals as values)
	Revision uint64
}

// State is the node's view of the shared state bucket. Every node watches
// the bucket and hands each change, its own included, to the apply
// function given to [Node.OpenState], in the bucket's order; a node that
// starts reads every key first, in one batch.
type State struct {
	n     *Node
	apply func([]StateChange)

	kv      atomic.Pointer[jetstream.KeyValue]
	loaded  atomic.Bool   // the first batch (every key) was applied
	loadedC chan struct{} // closed once loaded

	mu struct {
		sync.Mutex
		revs map[string]uint64 // the latest revision of each key this node knows
	}
}

// OpenState sets the shared state bucket up in the background (retrying
// until the cluster has a quorum) and watches it until the node closes.
// apply is called from one goroutine, with the changes in the bucket's
// order; a change this node wrote comes back to it too.
func (n *Node) OpenState(apply func([]StateChange)) *State {
	s := &State{n: n, apply: apply, loadedC: make(chan struct{})}
	s.mu.revs = map[string]uint64{}
	n.wg.Go(s.run)
	return s
}

// Loaded reports whether the node has read the whole bucket once.
func (s *State) Loaded() bool { return s.loaded.Load() }

// WaitLoaded returns once the node has read the whole bucket once (and
// applied it), or with ctx's error.
func (s *State) WaitLoaded(ctx context.Context) error {
	select {
	case <-s.loadedC:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *State) run() {
	ctx, cancel := s.stopCtx()
	defer cancel()
	pause := 100 * time.Millisecond
	for {
		kv, err := s.setup(ctx)
		if err == nil {
			s.kv.Store(&kv)
			break
		}
		s.n.log.Debug("cluster: state bucket not set up yet", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
	s.n.watches.state.follow(ctx, *s.kv.Load(), func(batch []jetstream.KeyValueEntry, first bool) {
		changes := make([]StateChange, 0, len(batch))
		for _, e := range batch {
			changes = append(changes, change(e))
		}
		s.deliver(changes)
		if first && !s.loaded.Swap(true) {
			close(s.loadedC)
			s.n.log.Info("cluster: shared state read", "node", s.n.cfg.Node)
		}
	})
}

func (s *State) stopCtx() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// setup creates the bucket, or updates its settings.
func (s *State) setup(ctx context.Context) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	kv, err := s.n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      stateBucket,
		Description: "customer state changed at run time, shared by every node",
		History:     stateHistory,
		Replicas:    s.n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", stateBucket, err)
	}
	return kv, nil
}

func change(e jetstream.KeyValueEntry) StateChange {
	c := StateChange{Key: e.Key(), Revision: e.Revision()}
	if e.Operation() == jetstream.KeyValuePut {
		c.Value = e.Value()
		if c.Value == nil {
			c.Value = []byte{}
		}
	}
	return c
}

// deliver hands apply the changes this node has not seen yet: a change it
// wrote itself was applied when it was written, and an older one read
// after it must not undo it.
func (s *State) deliver(batch []StateChange) {
	s.mu.Lock()
	fresh := batch[:0]
	for _, c := range batch {
		if c.Revision > s.mu.revs[c.Key] {
			s.mu.revs[c.Key] = c.Revision
			fresh = append(fresh, c)
		}
	}
	s.mu.Unlock()
	if len(fresh) > 0 {
		s.apply(fresh)
	}
}

func (s *State) bucket() (jetstream.KeyValue, error) {
	p := s.kv.Load()
	if p == nil {
		return nil, ErrNoState
	}
	return *p, nil
}

// Put writes key and returns its revision once the bucket kept it (a
// quorum of its servers has it). A removal is a value too (the relay's
// own "removed" form): every write has a revision. checked writes only if the key is still at the
// revision this node last saw (ErrConflict otherwise): for a value computed
// from the one before it, such as a customer's sender list.
func (s *State) Put(ctx context.Context, key string, value []byte, checked bool) (uint64, error) {
	kv, err := s.bucket()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.n.cfg.PublishTimeout)
	defer cancel()
	s.mu.Lock()
	known := s.mu.revs[key]
	s.mu.Unlock()
	var rev uint64
	switch {
	case !checked:
		rev, err = kv.Put(ctx, key, value)
	case known == 0:
		rev, err = kv.Create(ctx, key, value)
	default:
		rev, err = kv.Update(ctx, key, value, known)
	}
	return s.wrote(key, rev, err)
}

// Create writes key only if the bucket does not hold it, and returns its
// revision; ErrConflict if the bucket holds the key (nothing written): for
// a value that must not replace what any node wrote.
func (s *State) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	kv, err := s.bucket()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.n.cfg.PublishTimeout)
	defer cancel()
	rev, err := kv.Create(ctx, key, value)
	return s.wrote(key, rev, err)
}

func (s *State) wrote(key string, rev uint64, err error) (uint64, error) {
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return 0, fmt.Errorf("%w: %s", ErrConflict, key)
	case err != nil:
		return 0, fmt.Errorf("%w: %s: %w", ErrNoState, key, err)
	}
	s.mu.Lock()
	s.mu.revs[key] = max(s.mu.revs[key], rev)
	s.mu.Unlock()
	return rev, nil
}

// putChunk is how many keys PutAll has in flight at once: the stream's
// acknowledgements come back before the client's pending limit is reached.
const putChunk = 250

// putStall is how many publish timeouts PutAll waits for the next
// acknowledgement of an import: a replicated stream on a busy machine
// pauses for seconds between acknowledgements, and an operator's import
// may wait, where one change may not.
const putStall = 5

// PutAll writes many keys at once, unchecked (an import of opt-outs), and
// returns once the bucket kept every one. On an error some may be kept:
// each key is a whole value, so writing them again is harmless.
func (s *State) PutAll(ctx context.Context, keys []string, values [][]byte) error {
	if _, err := s.bucket(); err != nil {
		return err
	}
	for start := 0; start < len(keys); start += putChunk {
		end := min(start+putChunk, len(keys))
		if err := s.putChunk(ctx, keys[start:end], values[start:end]); err != nil {
			return err
		}
	}
	return nil
}

// putChunk publishes keys and waits for their acknowledgements, each
// within putStall publish timeouts of the one before: a busy stream that
// keeps answering is waited for, one that stops answering is not.
func (s *State) putChunk(ctx context.Context, keys []string, values [][]byte) error {
	futures := make([]jetstream.PubAckFuture, 0, len(keys))
	for i, k := range keys {
		f, err := s.n.js.PublishAsync("$KV."+stateBucket+"."+k, values[i])
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrNoState, k, err)
		}
		futures = append(futures, f)
	}
	stall := putStall * s.n.cfg.PublishTimeout
	t := time.NewTimer(stall)
	defer t.Stop()
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			if _, err := s.wrote(keys[i], ack.Sequence, nil); err != nil {
				return err
			}
			t.Reset(stall)
		case err := <-f.Err():
			return fmt.Errorf("%w: %s: %w", ErrNoState, keys[i], err)
		case <-t.C:
			return fmt.Errorf("%w: %s: no acknowledgement within %v", ErrNoState, keys[i], stall)
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: %w", ErrNoState, keys[i], ctx.Err())
		}
	}
	return nil
}
