package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options are a node's collaborators.
type Options struct {
	// DataDir is the relay's data directory; the embedded server keeps its
	// JetStream data in DataDir/nats unless embed.store_dir says otherwise.
	DataDir string
	Logger  *slog.Logger
	Metrics *metrics.Set
	// Now is the wall clock (the start time a new node's receipt consumer
	// reads from).
	Now func() time.Time
}

// Node is this relay's membership of the cluster: the embedded NATS
// server when there is one, the connection, and the streams. It opens
// without a quorum: the streams are set up in the background, once enough
// servers are up, and Forward refuses until then.
type Node struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	start time.Time
	srv   *server.Server // nil without embed
	nc    *nats.Conn
	js    jetstream.JetStream
	// pub publishes forwarded receipts asynchronously; an acknowledgement
	// not in by PublishTimeout fails its future.
	pub jetstream.JetStream
	m   *nodeMetrics
	// leases are the carrier bind slots the node holds (leases.go).
	leases *leases
	// watches follow the shared state and the heartbeats (watch.go).
	watches struct{ state, nodes *watch }

	refs  refs                   // the client reference bucket
	taken atomic.Pointer[string] // the node holding this node's number, if not this one

	ready atomic.Bool // the receipt stream and this node's consumer exist
	// setUp is closed once the receipt stream, this node's consumer and
	// the buckets it writes are set up; parts counts those not yet.
	setUp  chan struct{}
	parts  atomic.Int32
	answer atomic.Bool // the stream answered the last probe or publish: a quorum

	mu struct {
		sync.Mutex
		apply Applier
		cc    jetstream.ConsumeContext
	}
	stop    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup // setup and the receipt workers
	work    chan jetstream.Msg
}

// Open starts the embedded server if the configuration has one and
// connects to NATS. It does not wait for a quorum.
func Open(cfg Config, o Options) (_ *Node, err error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = metrics.NewSet()
	}
	n := &Node{cfg: cfg, log: o.Logger, now: o.Now, start: o.Now(), stop: make(chan struct{}), setUp: make(chan struct{})}
	n.parts.Store(2) // setupLoop, bucketsLoop
	urls := strings.Join(cfg.URLs, ",")
	if cfg.Embedded() {
		if n.srv, err = startServer(&cfg, o.DataDir, o.Logger); err != nil {
			return nil, err
		}
		if urls == "" {
			urls = n.srv.ClientURL()
		}
	}
	n.nc, err = nats.Connect(urls,
		nats.Name("relay "+cfg.Node),
		nats.RetryOnFailedConnect(true), // a node starts before its NATS servers
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.NoCallbacksAfterClientClose(),
	)
	if err != nil {
		n.shutdownServer()
		return nil, fmt.Errorf("cluster: connect %s: %w", urls, err)
	}
	if n.js, err = jetstream.New(n.nc); err == nil {
		n.pub, err = jetstream.New(n.nc, jetstream.WithPublishAsyncTimeout(n.cfg.PublishTimeout))
	}
	if err != nil {
		n.nc.Close()
		n.shutdownServer()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	n.m = newNodeMetrics(o.Metrics, n)
	n.leases = newLeases(n, o.Metrics)
	n.watches.state = newWatch(n, o.Metrics, stateBucket)
	n.watches.nodes = newWatch(n, o.Metrics, nodesBucket)
	return n, nil
}

// Start sets up the streams in the background, retrying until the cluster
// has a quorum, then hands every receipt of the stream to apply.
func (n *Node) Start(apply Applier) {
	n.mu.Lock()
	n.mu.apply = apply
	n.mu.Unlock()
	n.work = make(chan jetstream.Msg, receiptWorkers)
	for range receiptWorkers {
		n.wg.Go(n.receiptWorker)
	}
	n.wg.Go(n.setupLoop)
	n.wg.Go(n.bucketsLoop)
	n.wg.Go(n.leases.run)
}

// setupLoop creates the receipt stream and this node's consumer, and
// starts consuming; it retries with a growing pause until it succeeds or
// the node closes.
func (n *Node) setupLoop() {
	pause := 100 * time.Millisecond
	for {
		err := n.setup()
		if err == nil {
			n.ready.Store(true)
			n.answer.Store(true)
			n.partSetUp()
			n.log.Info("cluster: receipt stream ready", "node", n.cfg.Node, "replicas", n.cfg.Replicas)
			n.probeLoop()
			return
		}
		n.m.setupErrors.Inc()
		n.log.Debug("cluster: receipt stream not ready yet", "err", err)
		select {
		case <-n.stop:
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

func (n *Node) setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := n.js.CreateOrUpdateStream(ctx, receiptStream(&n.cfg)); err != nil {
		return fmt.Errorf("stream %s: %w", receiptStreamName, err)
	}
	cons, err := n.js.Consumer(ctx, receiptStreamName, n.consumerName())
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = n.js.CreateConsumer(ctx, receiptStreamName, receiptConsumer(n.consumerName(), n.start.Add(-n.cfg.SkewTolerance)))
	}
	if err != nil {
		return fmt.Errorf("consumer %s: %w", n.consumerName(), err)
	}
	cc, err := cons.Consume(n.take, jetstream.PullMaxMessages(2*receiptWorkers))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	n.mu.Lock()
	n.mu.cc = cc
	n.mu.Unlock()
	return nil
}

// probeEvery is how often a node asks the stream whether it answers, for
// /status and relay_cluster_stream_ready; every publish tells it too.
const probeEvery = 2 * time.Second

// probeLoop asks the receipt stream for its state until the node closes:
// a stream without a quorum has no leader to answer.
func (n *Node) probeLoop() {
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeEvery/2)
		err := n.probe(ctx)
		cancel()
		if ok := err == nil; ok != n.answer.Swap(ok) {
			n.log.Warn("cluster: receipt stream", "answers", ok, "err", err)
		}
	}
}

// peerSilence is how long a replica of the receipt stream may go unseen
// by its leader and still count toward a quorum. The servers' Raft
// heartbeat is a second; a leader itself gives up only after several, and
// answers an info request until then.
const peerSilence = 2 * probeEvery

// probe asks the receipt stream's leader for its state and returns nil if
// the leader has heard lately from a quorum of the replicas, itself
// included: a leader that lost its peers a moment ago still answers, but
// could not keep a receipt.
func (n *Node) probe(ctx context.Context) error {
	s, err := n.js.Stream(ctx, receiptStreamName)
	if err != nil {
		return err
	}
	return quorum(s.CachedInfo().Cluster)
}

// quorum says whether a stream's cluster information shows a leader that
// has heard from enough replicas; nil information is a single server.
func quorum(c *jetstream.ClusterInfo) error {
	if c == nil || (c.Leader == "" && len(c.Replicas) == 0) {
		return nil
	}
	if c.Leader == "" {
		return errors.New("the receipt stream has no leader")
	}
	seen := 1 // the leader
	for _, p := range c.Replicas {
		if p.Current && !p.Offline && p.Active < peerSilence {
			seen++
		}
	}
	if total := len(c.Replicas) + 1; seen <= total/2 {
		return fmt.Errorf("the receipt stream's leader %s has heard lately from %d of its %d replicas, itself included: no quorum", c.Leader, seen, total)
	}
	return nil
}

// partSetUp counts one part of the node's setup done.
func (n *Node) partSetUp() {
	if n.parts.Add(-1) == 0 {
		close(n.setUp)
	}
}

// WaitSetUp waits until the receipt stream, this node's consumer and the
// buckets it writes are set up (they need a quorum once, when the node
// starts), or ctx ends, or the node closes. A node set up keeps taking
// submits with a client_ref as long as it has a quorum.
func (n *Node) WaitSetUp(ctx context.Context) error {
	select {
	case <-n.setUp:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.stop:
		return ErrClosed
	}
}

func (n *Node) consumerName() string { return "receipts_" + n.cfg.Node }

// Ready reports whether the receipt stream is set up, this node reads it,
// and it answered the last probe or publish (it has a quorum), and the
// buckets are set up.
func (n *Node) Ready() bool { return n.ready.Load() && n.answer.Load() && n.refs.kv.Load() != nil }

// Status is what /status shows of the node: the "cluster" section of its
// JSON, which scripts read (keep the keys and their order).
type Status struct {
	Node        string `json:"node"`
	Connected   bool   `json:"connected"`    // to a NATS server
	StreamReady bool   `json:"stream_ready"` // the receipt stream is set up, read by this node, and answers (a quorum)
	Embedded    bool   `json:"embedded"`     // the node runs one of the NATS servers
	Routes      int    `json:"routes"`       // the embedded server's routes to the others
	Forwarded   uint64 `json:"receipts_forwarded"`
	Refused     uint64 `json:"receipts_refused"` // answered with a temporary error, no quorum: the carrier resends them
	Read        uint64 `json:"receipts_read"`    // from the stream, by this node
	// StateLoaded: the node has read the shared customer state
	// (State.Loaded); until it has, it enforces its file and the changes
	// made on it since. The holder of the State sets it: Node.Status
	// leaves it false.
	StateLoaded bool `json:"state_loaded"`
	// LiveNodes are the live nodes from the heartbeats (Members.Live),
	// which split each customer's rate. The holder of the Members sets
	// them: Node.Status leaves them nil.
	LiveNodes []string `json:"live_nodes"`
	// NumberHeldBy is the node holding this node's node_number, if not
	// this one: new messages are refused (their ids could be that node's).
	NumberHeldBy string `json:"number_held_by,omitempty"`
	// StaleWatches are the buckets this node watches (RELAY_STATE,
	// RELAY_NODES) whose watcher is not current: being recreated, or
	// behind the bucket. Changes made on other nodes reach this one late.
	StaleWatches []string `json:"stale_watches,omitempty"`
}

// Status reports the node's state now.
func (n *Node) Status() Status {
	s := Status{Node: n.cfg.Node, Connected: n.nc.IsConnected(), StreamReady: n.Ready(), Embedded: n.srv != nil,
		Forwarded: n.m.forwarded.Get(), Refused: n.m.refused.Get(), Read: n.m.read()}
	if p := n.taken.Load(); p != nil {
		s.NumberHeldBy = *p
	}
	for _, w := range []*watch{n.watches.state, n.watches.nodes} {
		if w.stale() {
			s.StaleWatches = append(s.StaleWatches, w.bucket)
		}
	}
	if n.srv != nil {
		s.Routes = n.srv.NumRoutes()
	}
	return s
}

// Peers are the servers of the JetStream cluster the embedded server
// knows, itself included; nil without an embedded server or before the
// cluster formed.
func (n *Node) Peers() []string {
	if n.srv == nil {
		return nil
	}
	return n.srv.JetStreamClusterPeers()
}

// Close stops reading the stream, lets the receipts being applied finish,
// closes the connection and shuts the embedded server down. The store must
// stay open until it returns.
func (n *Node) Close() {
	n.stopped.Do(func() {
		close(n.stop)
		n.mu.Lock()
		cc := n.mu.cc
		n.mu.Unlock()
		if cc != nil {
			cc.Stop()
			<-cc.Closed()
		}
		n.wg.Wait() // receipts taken and not applied are read again after AckWait
		n.nc.Close()
		n.shutdownServer()
	})
}

func (n *Node) shutdownServer() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}
