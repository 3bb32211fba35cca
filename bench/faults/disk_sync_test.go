package faults

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

const childConfigEnv = "RELAY_FAULTS_CHILD_CONFIG"

// TestDiskSyncChild is not a test of its own: TestDiskSyncError runs this
// binary again with it, as a relay process whose fsyncs fail with EIO
// after SIGUSR1.
func TestDiskSyncChild(t *testing.T) {
	path := os.Getenv(childConfigEnv)
	if path == "" {
		t.Skip("run by TestDiskSyncError")
	}
	cfg, err := relay.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &disk{}
	opts := d.options()
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	dm, err := relay.Start(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGTERM)
	for s := range sig {
		if s == syscall.SIGUSR1 {
			d.mode.Store(diskSyncErr)
			continue
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dm.Shutdown(ctx); err != nil {
		os.Exit(3)
	}
	os.Exit(0)
}

// TestDiskSyncError makes every fsync of a running relay fail with EIO
// under load. Pass: no submit acknowledged after the failure is lost; the
// relay refuses (STORE_UNAVAILABLE) or exits non-zero (Pebble panics when
// it cannot sync a WAL it rotates), and a restart on a healthy disk
// delivers every acknowledged message once.
func TestDiskSyncError(t *testing.T) {
	SkipShort(t)
	c, err := NewCarrier("alpha", smpptest.Config{Users: map[string]string{"relay": CarrierPassword}, MaxRecorded: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	s := &Setup{DataDir: filepath.Join(dir, "data"), Customers: []string{"shop"}, Carriers: []*Carrier{c}, Binds: 2}
	cfg := filepath.Join(dir, "relay.toml")
	if err := s.Write(cfg); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskSyncChild$")
	cmd.Env = append(os.Environ(), childConfigEnv+"="+cfg)
	r, err := StartCmd(cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Kill() }()
	var addr sync.Map
	addr.Store("a", r.Addr)
	l := &Loader{Addr: func() string { v, _ := addr.Load("a"); return v.(string) }, Customer: "shop", Prefix: "eio",
		Conns: 2, Window: 16, Messages: 300, Rate: 2000}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l.Run(ctx)
	before := l.Accepted()
	if err := r.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	l.Messages += 300
	fctx, fcancel := context.WithTimeout(ctx, 3*time.Second)
	l.Run(fctx)
	fcancel()
	exited := false
	select {
	case <-r.Exited():
		exited = true
	default:
	}
	t.Logf("fsync failing: %d more acknowledged, refusals %v, relay exited: %v (code %d)",
		l.Accepted()-before, l.Refusals(), exited, func() int {
			if exited {
				return r.ExitCode()
			}
			return 0
		}())
	if exited && r.ExitCode() == 0 {
		t.Error("the relay exited with status 0 after its disk failed")
	}
	if !exited && l.Refusals()[upstreampb.Status_STORE_UNAVAILABLE] == 0 {
		t.Error("the relay neither refused nor exited while every fsync failed")
	}
	r.Kill()

	// The disk is healthy again: a plain relay on the same data.
	cmd = exec.Command(os.Args[0], "-test.run=^TestDiskSyncChild$")
	cmd.Env = append(os.Environ(), childConfigEnv+"="+cfg)
	if r, err = StartCmd(cmd, nil); err != nil {
		t.Fatalf("restart after the disk failure: %v", err)
	}
	addr.Store("a", r.Addr)
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); l.Listen(lctx) }()
	l.Run(ctx)
	l.WaitSettled(ctx, 3*time.Second, 30*time.Second)
	stop()
	wg.Wait()
	if err := r.Stop(10 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	v, err := Check(s.DataDir, s.Customers, l, []*Carrier{c})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", v)
	if v.Accepted != l.Messages || v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 {
		t.Errorf("%v examples %v", v, v.Examples)
	}
}
