package cluster

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"
)

// Config is the `[cluster]` table. Without a node name the relay runs
// alone, with no NATS at all.
type Config struct {
	// Node is this relay's name in the cluster, unique among its nodes:
	// letters, digits, '-' and '_'. Setting it turns the cluster on.
	Node string `toml:"node"`
	// NodeNumber (1-255) is kept in the lowest 8 bits of every message id
	// the node makes, so that no two nodes make the same id; unique among
	// the nodes, checked through the KV bucket RELAY_NODE_NUMBERS. Never change a
	// node's number while messages it made may still be resubmitted.
	NodeNumber int `toml:"node_number"`
	// URLs are the NATS servers the node connects to ("nats://host:4222");
	// production names its external 3-server cluster here. Empty with
	// embed.listen: the embedded server.
	URLs []string `toml:"urls"`
	// Replicas is how many NATS servers keep each stream: 3 in production,
	// so one server may fail and receipts still go through. Default 3.
	Replicas int `toml:"replicas"`
	// SkewTolerance is how far the nodes' clocks may differ: a receipt read
	// on one node matches a message another node sent up to this long
	// after the receipt's arrival stamp. Default 2s.
	SkewTolerance time.Duration `toml:"skew_tolerance"`
	// DuplicateWindow is how long the receipt stream remembers a receipt's
	// id (carrier, normalised id and content) to drop its copies. Minutes,
	// not the retention: carriers reuse ids. Default 5m.
	DuplicateWindow time.Duration `toml:"duplicate_window"`
	// ReceiptRetention is how long a receipt waits in the stream for its
	// node (a node that is down reads it when it comes back). Default 48h.
	ReceiptRetention time.Duration `toml:"receipt_retention"`
	// PublishTimeout bounds the wait for the stream to acknowledge a
	// receipt; past it the carrier is answered with a temporary error and
	// sends the receipt again. Default 2s.
	PublishTimeout time.Duration `toml:"publish_timeout"`
	// NodeTTL is how long a node counts as live after its last heartbeat
	// (it sends one every third of it); a node that stops cleanly leaves at
	// once. The live nodes split each customer's rate. Default 6s.
	NodeTTL time.Duration `toml:"node_ttl"`
	// RefRetention is how long a customer's client_ref stays claimed by
	// the node that accepted it in the RELAY_REFS bucket: a resubmission
	// on any node within it answers the first message's id. Default 48h.
	RefRetention time.Duration `toml:"ref_retention"`
	// BindLeaseTTL is how long a node's hold on a carrier bind slot lasts
	// without a renewal (max_binds of a carrier): a node that crashed
	// gives its slots back this long after its last renewal. A node
	// renews every sixth of it and unbinds a slot it could not renew for
	// half of it. Default 15s.
	BindLeaseTTL time.Duration `toml:"bind_lease_ttl"`
	// StartWait is how long a starting node waits, before it listens, for
	// the receipt stream and the buckets it writes to be set up (the first
	// seconds of a new cluster, or a node that starts while NATS elects):
	// listening before, it would refuse submits with a client_ref
	// (STORE_UNAVAILABLE) until then. A node with no NATS quorum by then
	// listens anyway, taking submits without a client_ref. Default 10s.
	StartWait time.Duration `toml:"start_wait"`
	// Embed runs a NATS server inside the relay (development, tests, or a
	// deployment with no NATS of its own).
	Embed EmbedConfig `toml:"embed"`
}

// EmbedConfig is the NATS server a relay embeds: one server of a cluster
// whose servers name each other in routes.
type EmbedConfig struct {
	// Listen is the client address ("127.0.0.1:7616"); set, the relay
	// embeds a server and connects to it.
	Listen string `toml:"listen"`
	// ClusterListen is where the other servers' routes connect.
	ClusterListen string `toml:"cluster_listen"`
	// Routes are the cluster_listen addresses of every server of the
	// cluster, this one's included ("127.0.0.1:7617").
	Routes []string `toml:"routes"`
	// ClusterName names the NATS cluster; every server of it has the same.
	// Default "relay".
	ClusterName string `toml:"cluster_name"`
	// StoreDir holds the server's JetStream data. Default data_dir/nats.
	StoreDir string `toml:"store_dir"`
}

// Enabled reports whether the relay is a cluster node.
func (c *Config) Enabled() bool { return c.Node != "" }

// Embedded reports whether the node runs its own NATS server.
func (c *Config) Embedded() bool { return c.Embed.Listen != "" }

// SetDefaults fills every setting left zero.
func (c *Config) SetDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 3
	}
	if c.SkewTolerance == 0 {
		c.SkewTolerance = 2 * time.Second
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 5 * time.Minute
	}
	if c.ReceiptRetention == 0 {
		c.ReceiptRetention = 48 * time.Hour
	}
	if c.RefRetention == 0 {
		c.RefRetention = 48 * time.Hour
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 2 * time.Second
	}
	if c.NodeTTL == 0 {
		c.NodeTTL = 6 * time.Second
	}
	if c.StartWait == 0 {
		c.StartWait = 10 * time.Second
	}
	if c.BindLeaseTTL == 0 {
		c.BindLeaseTTL = 15 * time.Second
	}
	if c.Embed.ClusterName == "" {
		c.Embed.ClusterName = "relay"
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Validate reports every setting that cannot work, without reaching NATS.
func (c *Config) Validate() error {
	if !c.Enabled() {
		if c.Embedded() || len(c.URLs) > 0 {
			return errors.New("cluster: node is required with urls or embed")
		}
		return nil
	}
	var errs []error
	if !nameRE.MatchString(c.Node) {
		errs = append(errs, fmt.Errorf("cluster.node %q: letters, digits, '-' and '_' only, at most 64", c.Node))
	}
	if c.NodeNumber < 1 || c.NodeNumber > 255 {
		errs = append(errs, fmt.Errorf("cluster.node_number %d: want 1 to 255, unique among the nodes (it is part of every message id)", c.NodeNumber))
	}
	if len(c.URLs) == 0 && !c.Embedded() {
		errs = append(errs, errors.New("cluster: urls or embed.listen is required"))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("cluster.replicas %d: want 1 to 5", c.Replicas))
	}
	if c.SkewTolerance < 0 || c.SkewTolerance > time.Minute {
		errs = append(errs, fmt.Errorf("cluster.skew_tolerance %v: want 0 to 1m", c.SkewTolerance))
	}
	if c.DuplicateWindow < time.Second || c.DuplicateWindow > time.Hour {
		errs = append(errs, fmt.Errorf("cluster.duplicate_window %v: want 1s to 1h (carriers reuse ids)", c.DuplicateWindow))
	}
	if c.ReceiptRetention < c.DuplicateWindow {
		errs = append(errs, fmt.Errorf("cluster.receipt_retention %v is shorter than duplicate_window", c.ReceiptRetention))
	}
	if c.RefRetention < time.Hour {
		errs = append(errs, fmt.Errorf("cluster.ref_retention %v: want at least 1h (clients resubmit for hours)", c.RefRetention))
	}
	if c.BindLeaseTTL < 2*time.Second || c.BindLeaseTTL > 5*time.Minute {
		errs = append(errs, fmt.Errorf("cluster.bind_lease_ttl %v: want 2s to 5m", c.BindLeaseTTL))
	}
	if c.StartWait < 0 || c.StartWait > 10*time.Minute {
		errs = append(errs, fmt.Errorf("cluster.start_wait %v: want 0 to 10m", c.StartWait))
	}
	if c.PublishTimeout <= 0 {
		errs = append(errs, errors.New("cluster.publish_timeout must be positive"))
	}
	if c.NodeTTL < time.Second || c.NodeTTL > 5*time.Minute {
		errs = append(errs, fmt.Errorf("cluster.node_ttl %v: want 1s to 5m", c.NodeTTL))
	}
	if c.Embedded() {
		errs = append(errs, c.Embed.validate(c.Replicas)...)
	}
	return errors.Join(errs...)
}

func (e *EmbedConfig) validate(replicas int) []error {
	var errs []error
	hostPort := func(key, v string) {
		if _, _, err := net.SplitHostPort(v); err != nil {
			errs = append(errs, fmt.Errorf("cluster.embed.%s %q: %w", key, v, err))
		}
	}
	hostPort("listen", e.Listen)
	if e.ClusterListen == "" {
		if replicas > 1 {
			errs = append(errs, fmt.Errorf("cluster.embed: cluster_listen and routes are required for %d replicas", replicas))
		}
		return errs
	}
	hostPort("cluster_listen", e.ClusterListen)
	if len(e.Routes) == 0 {
		errs = append(errs, errors.New("cluster.embed.routes: name every server's cluster_listen, this one's included"))
	}
	for _, r := range e.Routes {
		hostPort("routes", r)
	}
	if len(e.Routes) < replicas {
		errs = append(errs, fmt.Errorf("cluster.embed.routes: %d servers cannot hold %d replicas", len(e.Routes), replicas))
	}
	if !nameRE.MatchString(e.ClusterName) {
		errs = append(errs, fmt.Errorf("cluster.embed.cluster_name %q: letters, digits, '-' and '_' only", e.ClusterName))
	}
	return errs
}
