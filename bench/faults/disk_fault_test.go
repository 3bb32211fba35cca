package faults

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/smpp/smpptest"
	"github.com/msgrelay/relay/store"
)

// disk is the relay's disk with a switch: healthy, full (every write and
// sync fails with ENOSPC), or slow (every sync takes SlowSync).
type disk struct {
	mode     atomic.Int32
	slowSync time.Duration
	// slowing, when set, is signalled (without blocking) as a slow sync
	// begins.
	slowing chan struct{}
}

const (
	diskOK int32 = iota
	diskFull
	diskSlow
	diskSyncErr
)

func (d *disk) String() string { return "switchable disk" }

func (d *disk) MaybeError(op errorfs.Op) error {
	switch d.mode.Load() {
	case diskFull:
		switch op.Kind {
		case errorfs.OpCreate, errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync,
			errorfs.OpFileSyncData, errorfs.OpFileSyncTo, errorfs.OpFileFlush, errorfs.OpFilePreallocate:
			return fmt.Errorf("injected: %w", syscall.ENOSPC)
		}
	case diskSyncErr:
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
			return fmt.Errorf("injected: %w", syscall.EIO)
		}
	case diskSlow:
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
			if d.slowing != nil {
				select {
				case d.slowing <- struct{}{}:
				default:
				}
			}
			time.Sleep(d.slowSync) // the slow disk itself
		}
	}
	return nil
}

func (d *disk) options() relay.Options {
	return relay.Options{StoreOptions: func(o *store.Options) { o.FS = errorfs.Wrap(vfs.Default, d) }}
}

func diskRig(t *testing.T, d *disk) (*Carrier, string, *Setup) {
	t.Helper()
	c, err := NewCarrier("alpha", smpptest.Config{Users: map[string]string{"relay": CarrierPassword}, MaxRecorded: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dir := t.TempDir()
	return c, dir, &Setup{DataDir: dir + "/data", Customers: []string{"shop"}, Carriers: []*Carrier{c}, Binds: 2}
}

// TestSlowDisk makes every sync take a second while upstream floods.
// Pass: the slow disk becomes backpressure (fewer acknowledgements, the
// flood waits in the upstream window), the Go heap grows by less than
// 256 MiB, and everything acknowledged is delivered once the disk is fast
// again.
func TestSlowDisk(t *testing.T) {
	d := &disk{slowSync: time.Second}
	c, dir, s := diskRig(t, d)
	p, err := StartInproc(dir, s, d.options())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown() }()
	if err := WaitBound(s.Carriers, 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	addr := p.D.UpstreamAddr()
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	base := heap()
	d.mode.Store(diskSlow)
	l := &Loader{Addr: func() string { return addr }, Customer: "shop", Prefix: "slow", Conns: 4, Window: 256, Messages: 1_000_000}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				peak.Store(max(peak.Load(), heap()))
			}
		}
	}()
	l.Run(ctx)
	cancel()
	<-done
	slowAccepted := l.Accepted()
	growth := float64(int64(peak.Load())-int64(base)) / (1 << 20)
	t.Logf("5 s of flood on a disk with 1 s syncs: %d acknowledged, heap grew %.0f MiB at most", slowAccepted, growth)
	if growth > 256 {
		t.Errorf("heap grew %.0f MiB under a slow disk: not backpressure", growth)
	}
	d.mode.Store(diskOK)
	wctx, wcancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer wcancel()
	lctx, stop := context.WithCancel(wctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); l.Listen(lctx) }()
	all := l.WaitSettled(wctx, RestartQuiet, 2*time.Minute)
	stop()
	wg.Wait()
	if !all {
		t.Errorf("%d of %d acknowledged messages reported once the disk was fast", l.Finals(), l.Accepted())
	}
	_ = c
}
