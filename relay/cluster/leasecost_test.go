package cluster_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// The nodes read the bind lease bucket every sixth of the TTL. A read
// must not make a consumer: each is a proposal to the cluster's meta
// leader, and another to delete it. This counts the JetStream API
// requests on the bucket's stream over a minute's worth of reads, and
// wants no consumer among them.
func TestLeaseReadsMakeNoConsumer(t *testing.T) {
	const ttl = 3 * time.Second
	nodes := openNodes(t, 3, ttl)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, n := range nodes {
		if _, _, err := n.AcquireBind(ctx, "acct", 3); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every node to see the three slots", time.Minute, func() bool {
		for _, n := range nodes {
			if n.BindsHeld("acct") != 3 {
				return false
			}
		}
		return true
	})
	var mu sync.Mutex
	count := map[string]int{}
	sub, err := nodes[0].Conn().Subscribe("$JS.API.>", func(m *nats.Msg) {
		if !strings.Contains(m.Subject, "KV_RELAY_BIND_LEASES") {
			return
		}
		kind := strings.TrimPrefix(m.Subject, "$JS.API.")
		kind = kind[:strings.Index(kind, ".KV_RELAY_BIND_LEASES")]
		mu.Lock()
		count[kind]++
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	time.Sleep(5 * time.Second) // a window to count in, not a wait for anything
	_ = sub.Unsubscribe()
	window := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	perMinute := map[string]float64{}
	for kind, n := range count {
		perMinute[kind] = float64(n) / window.Minutes() / float64(len(nodes))
	}
	t.Logf("JetStream API requests on the lease bucket per node per minute (TTL %v): %v", ttl, perMinute)
	if n := count["CONSUMER.CREATE"]; n > 0 {
		t.Errorf("%d consumers made to read the lease bucket in %v", n, window.Round(time.Millisecond))
	}
}
