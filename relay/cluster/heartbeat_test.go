package cluster

import (
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestHeartbeatExpires: a node that dies without leaving (its connection
// gone, its heartbeat left in the bucket) stops counting as live once its
// heartbeat expires; one that comes back counts again.
func TestHeartbeatExpires(t *testing.T) {
	cfg := Config{Node: "n1", Replicas: 1, NodeTTL: time.Second, Embed: EmbedConfig{Listen: "127.0.0.1:0"}}
	cfg.SetDefaults()
	n1, err := Open(cfg, Options{DataDir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer n1.Close()
	var mu sync.Mutex
	var seen []string
	n1.Heartbeat(func(live []string) {
		mu.Lock()
		seen = live
		mu.Unlock()
	})
	waitLive := func(what string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			mu.Lock()
			ok := slices.Equal(seen, want)
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited a minute for %s: live %v, want %v", what, seen, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	join := func() *Node {
		c := Config{Node: "n2", Replicas: 1, NodeTTL: time.Second, URLs: []string{n1.srv.ClientURL()}}
		c.SetDefaults()
		n2, err := Open(c, Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		n2.Heartbeat(func([]string) {})
		return n2
	}
	n2 := join()
	waitLive("node 2 to join", "n1", "n2")
	n2.nc.Close() // dies: no goodbye
	waitLive("node 2's heartbeat to expire", "n1")
	n2.Close()
	n2 = join()
	defer n2.Close()
	waitLive("node 2 back", "n1", "n2")
}

var quiet = slog.New(slog.DiscardHandler)
