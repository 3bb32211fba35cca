// Package configs_test checks the deploy assets beside it against a live
// relay: the metrics pass promtool, and every metric the dashboards and the
// alert rules name is one the relay exports.
package configs_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
)

// devRelay runs the relay on configs/dev.toml, as README.md tells a new user
// to, with its data directory and ports moved out of the way.
func devRelay(t *testing.T) *relay.Daemon {
	t.Helper()
	cfg, err := relay.LoadConfig("dev.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Upstream.Listen = "127.0.0.1:0"
	cfg.OpsListen = "127.0.0.1:0"
	cfg.Admin.Listen = "127.0.0.1:0"
	cfg.Admin.AuditFile = filepath.Join(dir, "audit.jsonl")
	d, err := relay.Start(cfg, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return d
}

// get fetches a path from the relay's ops port.
func get(t *testing.T, d *relay.Daemon, path string) string {
	t.Helper()
	res, err := http.Get("http://" + d.OpsAddr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, res.Status, b)
	}
	return string(b)
}

// tool finds an outside program a test runs; without it the test skips,
// unless RELAY_REQUIRE_PEERS=1 says every peer must be there.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("RELAY_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s not found and RELAY_REQUIRE_PEERS=1", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}
