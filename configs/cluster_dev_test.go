package configs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestClusterDevForms starts the three nodes of configs/cluster-dev, as its
// README tells a new user to, with their data and ports moved out of the
// way, and checks that their embedded NATS servers form one cluster, that
// each node reads the receipt stream, and that each delivers an SMS.
func TestClusterDevForms(t *testing.T) {
	var cfgs []*relay.Config
	for i := 1; i <= 3; i++ {
		cfg, err := relay.LoadConfig(filepath.Join("cluster-dev", fmt.Sprintf("node%d.toml", i)))
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, cfg)
	}
	moveClusterPorts(t, cfgs)
	// Started together, as the README's one command does: each node waits
	// for the others' NATS servers before it listens.
	nodes := make([]*relay.Daemon, len(cfgs))
	errs := make([]error, len(cfgs))
	var starts sync.WaitGroup
	for i, cfg := range cfgs {
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
		admin := cfg.Admin.Listen
		movePorts(t, cfg)
		cfg.Admin.Listen = admin // none in these files
		starts.Go(func() {
			nodes[i], errs[i] = relay.Start(cfg, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		})
	}
	starts.Wait()
	for i, d := range nodes {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := d.Shutdown(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	// Formed: every node reads the stream (which needs the quorum), and
	// the meta leader, whichever node it is, counts three servers.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ready, peers := 0, 0
		for _, d := range nodes {
			if d.Cluster().Status().StreamReady {
				ready++
			}
			peers = max(peers, len(d.Cluster().Peers())) // only the leader answers
		}
		if ready == 3 && peers == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not formed in 60s: %d nodes read the stream, the leader knows %d servers", ready, peers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, d := range nodes {
		if s := get(t, d, "/status?format=json"); !strings.Contains(s, `"stream_ready": true`) {
			t.Errorf("node %s: /status does not show the cluster ready:\n%s", d.Cluster().Status().Node, s)
		}
		// A client_ref of its own on each node: the same one would be
		// answered as the first node's message, whose report goes there.
		submitAndWait(t, d, "cluster-dev-test", 60*time.Second, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS,
			Text: "배송이 시작되었습니다.", ClientRef: "cluster-dev-" + strconv.Itoa(i+1), Sender: "0212345678", Recipient: "01012345678"})
	}
}

// moveClusterPorts gives the embedded NATS servers free ports: clients on
// one the kernel picks, routes on ports below the ephemeral range (every
// server must name the others' before any starts).
func moveClusterPorts(t *testing.T, cfgs []*relay.Config) {
	t.Helper()
	var routes []string
	for range cfgs {
		routes = append(routes, loopback.TestAddr(t))
	}
	for i, cfg := range cfgs {
		cfg.Cluster.Embed.Listen = "127.0.0.1:0"
		cfg.Cluster.Embed.ClusterListen = routes[i]
		cfg.Cluster.Embed.Routes = routes
	}
}
