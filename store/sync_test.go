package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walSyncFS calls onSync before every sync of a write-ahead log file: to
// count them, or to hold them.
type walSyncFS struct {
	vfs.FS
	onSync func()
}

func (fs walSyncFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return walSyncFile{File: f, onSync: fs.onSync}, nil
}

func (fs walSyncFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return fs.wrap(name, f, err)
}

func (fs walSyncFS) ReuseForWrite(old, name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(old, name, c)
	return fs.wrap(name, f, err)
}

type walSyncFile struct {
	vfs.File
	onSync func()
}

func (f walSyncFile) Sync() error                       { f.onSync(); return f.File.Sync() }
func (f walSyncFile) SyncData() error                   { f.onSync(); return f.File.SyncData() }
func (f walSyncFile) SyncTo(length int64) (bool, error) { f.onSync(); return f.File.SyncTo(length) }

// TestEveryAckIsSynced: each acknowledged write is preceded by a WAL sync,
// and a crash right after the acknowledgement (keeping only synced data)
// keeps it.
func TestEveryAckIsSynced(t *testing.T) {
	mem := vfs.NewCrashableMem()
	var syncs atomic.Int64
	s := openTest(t, walSyncFS{FS: mem, onSync: func() { syncs.Add(1) }}, newClock())
	defer s.Close()
	ctx := context.Background()
	for i := range 20 {
		before := syncs.Load()
		id := mustAccept(t, s, sms("c1", fmt.Sprint(i)))
		if syncs.Load() == before {
			t.Fatalf("accept %d acknowledged without a WAL sync", i)
		}
		before = syncs.Load()
		if err := s.MarkQueued(ctx, id); err != nil {
			t.Fatal(err)
		}
		if syncs.Load() == before {
			t.Fatalf("transition %d acknowledged without a WAL sync", i)
		}
		crashed := mem.CrashClone(vfs.CrashCloneCfg{}) // synced data only
		c, err := Open("db", Options{FS: crashed, Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.Get(id)
		c.Close()
		if err != nil || m.State != 2 {
			t.Fatalf("acknowledged write %d lost in a crash: %+v %v", i, m, err)
		}
	}
}

// TestConcurrentAcceptsShareSyncs: many concurrent acceptances, far fewer
// fsyncs (group commit).
func TestConcurrentAcceptsShareSyncs(t *testing.T) {
	var syncs atomic.Int64
	s, err := Open(t.TempDir(), Options{FS: walSyncFS{FS: vfs.Default, onSync: func() { syncs.Add(1) }}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers, each = 64, 20
	start := syncs.Load()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, _, err := s.Accept(context.Background(), sms("c1", fmt.Sprint(w, "-", i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n := syncs.Load() - start
	t.Logf("%d acceptances, %d WAL syncs", writers*each, n)
	if n == 0 || n > writers*each/4 {
		t.Fatalf("%d syncs for %d acceptances: not grouped", n, writers*each)
	}
}
