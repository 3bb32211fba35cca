package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A watch follows one KV bucket for as long as the node is open, and
// outlives the NATS server it reads through.
//
// A KV watcher is an ephemeral consumer on one server, chosen at random
// among the bucket's. When that server goes, or the node's connection
// moves to another server, the watcher stalls: the client library
// recreates it only after two missed idle heartbeats (10 s), and at times
// not at all. So a watch recreates its watcher itself, from the revision
// after the last one it handed over (none is missed, none handed twice):
//   - when the watcher ends;
//   - when the connection comes back, on the same server or another;
//   - when a probe of the bucket's stream, every watchProbe, shows
//     revisions the watcher has not delivered, and the one before showed
//     them too, with nothing delivered in between (a stall).
//
// The watch is current while its watcher has delivered everything the
// last probe showed, or is moving toward it; relay_cluster_watch_current
// and /status say when it is not.
type watch struct {
	n       *Node
	bucket  string
	started atomic.Bool // follow was called: the node watches the bucket
	// current: the watcher has read the bucket once and is not behind.
	current  atomic.Bool
	restarts *metrics.Counter
}

// watchProbe is how often a watch asks the bucket's stream for its last
// revision: a stall is found within two of them.
const watchProbe = time.Second

// Why a watcher was recreated.
var (
	errWatchEnded       = errors.New("cluster: watcher ended")
	errWatchReconnected = errors.New("cluster: connection back; watcher recreated")
	errWatchStalled     = errors.New("cluster: watcher delivered nothing the bucket has for a probe interval; recreated")
)

func newWatch(n *Node, set *metrics.Set, bucket string) *watch {
	w := &watch{n: n, bucket: bucket,
		restarts: set.NewCounter(fmt.Sprintf(`relay_cluster_watch_restarts_total{bucket=%q}`, bucket))}
	set.NewGauge(fmt.Sprintf(`relay_cluster_watch_current{bucket=%q}`, bucket), func() float64 {
		if w.current.Load() {
			return 1
		}
		return 0
	})
	return w
}

// follow hands take every change of the bucket until ctx ends: first
// every key's latest value in one batch (first set), then each change in
// the bucket's order, bursts in one batch. take is called from this
// goroutine only.
func (w *watch) follow(ctx context.Context, kv jetstream.KeyValue, take func(batch []jetstream.KeyValueEntry, first bool)) {
	w.started.Store(true)
	status := w.n.nc.StatusChanged(nats.CONNECTED)
	defer w.n.nc.RemoveStatusListener(status)
	var last uint64 // the last revision handed to take
	first := true
	pause, patience := 100*time.Millisecond, watchPatience
	for {
		read, err := w.once(ctx, kv, patience, status, &last, &first, take)
		w.current.Store(false)
		if ctx.Err() != nil {
			return
		}
		w.restarts.Inc()
		w.n.log.Debug("cluster: watch recreated", "bucket", w.bucket, "from", last+1, "err", err)
		if read {
			pause, patience = 100*time.Millisecond, watchPatience
			continue // it worked until now: at once
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause, patience = min(2*pause, 2*time.Second), min(2*patience, 8*watchPatience)
	}
}

// watchPatience is how long a watch first waits for the bucket to answer
// as it makes a watcher; doubled at each failure, up to eight times. A
// request sent while the bucket's servers elect a leader gets no answer:
// better asked again than waited for.
const watchPatience = 2 * time.Second

// made is a watcher made, or why not.
type made struct {
	kw  jetstream.KeyWatcher
	err error
}

// open makes a watcher that ends with ctx, or gives up after patience:
// the library would wait for the bucket's answer for as long as ctx.
func (w *watch) open(ctx context.Context, kv jetstream.KeyValue, patience time.Duration, opts []jetstream.WatchOpt) (jetstream.KeyWatcher, error) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan made, 1)
	go func() {
		kw, err := kv.WatchAll(ctx, opts...)
		out <- made{kw, err}
	}()
	t := time.NewTimer(patience)
	defer t.Stop()
	select {
	case m := <-out:
		if m.err != nil {
			cancel()
			return nil, m.err
		}
		return stopping{m.kw, cancel}, nil
	case <-t.C:
		cancel() // the request ends with it
		if m := <-out; m.kw != nil {
			_ = m.kw.Stop()
		}
		return nil, fmt.Errorf("cluster: no watcher of %s within %v", w.bucket, patience)
	}
}

// stopping is a watcher that ends its context when stopped.
type stopping struct {
	jetstream.KeyWatcher
	cancel context.CancelFunc
}

func (s stopping) Stop() error {
	err := s.KeyWatcher.Stop()
	s.cancel()
	return err
}

// once runs one watcher, from the revision after last (every key's
// latest value if none), until it ends, stalls, the connection comes back
// or ctx ends. read reports whether it read up to the bucket's end.
func (w *watch) once(ctx context.Context, kv jetstream.KeyValue, patience time.Duration, status <-chan nats.Status,
	last *uint64, first *bool, take func([]jetstream.KeyValueEntry, bool)) (read bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Every revision up to base is delivered before the watcher's first
	// marker; one removed since (a heartbeat expired) is not, and must not
	// count as missing.
	base, err := w.lastRevision(ctx, patience)
	if err != nil {
		return false, err
	}
	var opts []jetstream.WatchOpt
	if *last > 0 {
		opts = append(opts, jetstream.ResumeFromRevision(*last+1))
	}
	kw, err := w.open(ctx, kv, patience, opts)
	if err != nil {
		return false, err
	}
	defer func() { _ = kw.Stop() }()
	drain := func() {
		for {
			select {
			case <-status:
			default:
				return
			}
		}
	}
	drain() // a reconnection before this watcher: it is made on the new connection
	probes := make(chan probed, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { w.probe(ctx, probes) })
	got := *last // the last revision received
	// behind: the last probe showed revisions not received; seen is what
	// had been received then.
	behind, seen := false, uint64(0)
	var batch []jetstream.KeyValueEntry
	hand := func() {
		if len(batch) > 0 || *first {
			take(batch, *first)
		}
		for _, e := range batch {
			*last = max(*last, e.Revision())
		}
		*first = false
		batch = batch[:0]
	}
	for {
		select {
		case <-ctx.Done():
			return read, ctx.Err()
		case <-status:
			return read, errWatchReconnected
		case p := <-probes:
			switch rev := p.rev; {
			case p.err != nil:
				w.current.Store(false) // cannot tell
				w.n.log.Debug("cluster: watched bucket not probed", "bucket", w.bucket, "err", p.err)
				continue
			case got >= rev:
				behind = false
				w.current.Store(read)
				continue
			case behind && got == seen:
				return read, errWatchStalled
			}
			behind, seen = true, got
		case e, ok := <-kw.Updates():
			if !ok {
				return read, errWatchEnded
			}
			if e == nil { // the bucket read up to where it was at the start
				if !read {
					read = true
					got = max(got, base)
					hand()
					w.current.Store(true)
				}
				continue
			}
			got = max(got, e.Revision())
			batch = append(batch, e)
			if !read {
				continue
			}
			// Take what else is waiting, so a burst (an import) is one batch.
			for more := true; more && len(batch) < 4096; {
				select {
				case e, ok = <-kw.Updates():
					if ok && e != nil {
						got = max(got, e.Revision())
						batch = append(batch, e)
					}
					more = ok && e != nil
				default:
					more = false
				}
			}
			hand()
			if !ok {
				return read, errWatchEnded
			}
		}
	}
}

// probed is the bucket's last revision, as a probe found it.
type probed struct {
	rev uint64
	err error
}

// probe reads the bucket's last revision every watchProbe until ctx ends;
// the reader takes the latest.
func (w *watch) probe(ctx context.Context, out chan probed) {
	t := time.NewTicker(watchProbe)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var p probed
		p.rev, p.err = w.lastRevision(ctx, 5*watchProbe)
		select {
		case <-out: // not taken yet: replaced by this one
		default:
		}
		out <- p
	}
}

// lastRevision is the last revision the bucket's stream gave out.
func (w *watch) lastRevision(ctx context.Context, patience time.Duration) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	s, err := w.n.js.Stream(ctx, "KV_"+w.bucket)
	if err != nil {
		return 0, err
	}
	return s.CachedInfo().State.LastSeq, nil
}

// stale reports whether the node watches the bucket and is not current.
func (w *watch) stale() bool { return w.started.Load() && !w.current.Load() }
