package faults

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// brokenSync fails every sync with EIO once armed.
type brokenSync struct{ armed atomic.Bool }

func (b *brokenSync) String() string { return "sync fails when armed" }

func (b *brokenSync) MaybeError(op errorfs.Op) error {
	if !b.armed.Load() {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		return fmt.Errorf("injected: %w", syscall.EIO)
	}
	return nil
}

// TestRunExitsWhenTheStoreFails: after a failed commit the store refuses
// every write until it is reopened, so relay.Run (what relayd runs) returns
// an error, which makes relayd exit non-zero for its supervisor to restart
// it. Pass: the submit in flight is answered STORE_UNAVAILABLE, not OK, and
// Run returns an error within seconds, without a signal.
func TestRunExitsWhenTheStoreFails(t *testing.T) {
	hash, err := customer.HashSecret("s3cret", customer.MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &relay.Config{
		DataDir:  filepath.Join(t.TempDir(), "data"), // the relay makes it 0700
		Upstream: relay.UpstreamConfig{Listen: "127.0.0.1:0"},
		Door:     door.DefaultConfig(),
		Customers: []customer.Config{{ID: "shop", Name: "Shop", SecretHash: hash, Products: []string{"sms"},
			Senders: []string{"0212345678"}, Rate: 1000}},
		ShutdownTimeout: relay.Duration(5 * time.Second),
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	fs := &brokenSync{}
	addr := make(chan string, 1)
	opts := relay.Options{
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		StoreOptions: func(o *store.Options) { o.FS = errorfs.Wrap(vfs.Default, fs) },
		Started:      func(d *relay.Daemon) { addr <- d.UpstreamAddr() },
	}
	done := make(chan error, 1)
	go func() { done <- relay.Run(context.Background(), cfg, opts) }()
	var a string
	select {
	case a = <-addr:
	case err := <-done:
		t.Fatalf("Run ended at start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the relay did not start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a, client.Options{Customer: "shop", Secret: "s3cret", PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fs.armed.Store(true)
	r, err := c.Submit(ctx, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Sender: "0212345678",
		Recipient: "01012345678", Text: "on a broken disk"})
	if err == nil && r.Status == upstreampb.Status_OK {
		t.Fatalf("acknowledged after a failed sync: %v", r)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run returned nil after the store failed")
		}
		t.Logf("Run: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after the store failed")
	}
}
