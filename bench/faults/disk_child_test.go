package faults

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

const (
	childConfigEnv = "RELAY_FAULTS_CHILD_CONFIG"
	childModeEnv   = "RELAY_FAULTS_CHILD_MODE"
)

// TestDiskChild is not a test of its own: the disk tests run this binary
// again with it, as a relay process (relay.Run, as relayd runs it) whose
// disk breaks on SIGUSR1 and recovers on SIGUSR2. Pebble panics when it cannot sync a WAL it
// rotates, which would take the test process down with it.
func TestDiskChild(t *testing.T) {
	path := os.Getenv(childConfigEnv)
	if path == "" {
		t.Skip("run by TestDiskFull and TestDiskSyncError")
	}
	mode, _ := strconv.Atoi(os.Getenv(childModeEnv))
	cfg, err := relay.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &disk{}
	opts := d.options()
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() { // lives as long as this child process
		for s := range sig {
			if s == syscall.SIGUSR1 {
				d.mode.Store(int32(mode))
			} else {
				d.mode.Store(diskOK)
			}
		}
	}()
	// As relayd does: Run, and a non-zero exit when it returns an error.
	if err := relay.Run(ctx, cfg, opts); err != nil {
		fmt.Fprintln(os.Stderr, "relay child: exit:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestDiskFull fills the disk (every write and sync fails with ENOSPC)
// under load, then frees it. Pass: no submit acknowledged after the failed
// commit — the relay answers STORE_UNAVAILABLE or exits non-zero; once the
// disk has room the relay takes messages again, at the latest after a
// restart; nothing acknowledged is lost or billed twice.
func TestDiskFull(t *testing.T) { diskFault(t, diskFull) }

// TestDiskSyncError is TestDiskFull with every fsync failing with EIO.
func TestDiskSyncError(t *testing.T) { diskFault(t, diskSyncErr) }

func diskFault(t *testing.T, mode int32) {
	SkipShort(t)
	c, err := NewCarrier("alpha", smpptest.Config{Users: map[string]string{"relay": CarrierPassword}, MaxRecorded: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := &Setup{Customers: []string{"shop"}, Carriers: []*Carrier{c}, Binds: 2}
	cfg := writeSetup(t, s)
	start := func() *Relayd {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestDiskChild$")
		cmd.Env = append(os.Environ(), childConfigEnv+"="+cfg, childModeEnv+"="+strconv.Itoa(int(mode)))
		r, err := StartCmd(cmd, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := start()
	defer func() { r.Kill() }()
	var addr sync.Map
	addr.Store("a", r.Addr)
	l := &Loader{Addr: func() string { v, _ := addr.Load("a"); return v.(string) }, Customer: "shop", Prefix: "disk",
		Conns: 2, Window: 16, Messages: 300, Rate: 2000}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
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
	during, unavailable := l.Accepted()-before, l.Refusals()[upstreampb.Status_STORE_UNAVAILABLE]
	exited := func() bool {
		select {
		case <-r.Exited():
			return true
		default:
			return false
		}
	}
	code := 0
	if exited() {
		code = r.ExitCode()
	}
	t.Logf("disk failing: %d more acknowledged, %d STORE_UNAVAILABLE, relay exited: %v (status %d)", during, unavailable, exited(), code)
	if exited() && r.ExitCode() == 0 {
		t.Error("the relay exited with status 0 after its disk failed")
	}
	if !exited() && unavailable == 0 {
		t.Error("the relay neither refused nor exited while its disk failed")
	}
	if during >= 300 {
		t.Error("every submit was acknowledged while the disk failed")
	}

	if !exited() {
		_ = r.Signal(syscall.SIGUSR2) // the disk recovers
		// Run ends when the 300 are in; the 30 s only if the relay refuses.
		rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
		l.Run(rctx)
		rcancel()
		resumed := l.Accepted() - before - during
		t.Logf("disk healthy again: %d acknowledged without a restart", resumed)
		if resumed == 0 && !exited() {
			t.Error("after a failed commit the relay neither resumes when the disk recovers nor exits; it refuses until restarted")
		}
	}
	r.Kill()

	// A restart on the healthy disk delivers everything acknowledged.
	r = start()
	addr.Store("a", r.Addr)
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); l.Listen(lctx) }()
	l.Run(ctx)
	l.WaitSettled(ctx, RestartQuiet, 3*time.Minute)
	stop()
	wg.Wait()
	if err := r.Stop(30 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	v, err := Check(s.DataDir, s.Customers, l, []*Carrier{c})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", v)
	if v.Accepted != l.Messages || v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 || len(v.FailedCodes) != 0 {
		t.Errorf("after the restart: %v failed=%v examples=%v", v, v.FailedCodes, v.Examples)
	}
}
