package store

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// Pebble charges its memtables to the block cache. A cache sized without
// them cached nothing once the memtables reached its size, and every read
// of a flushed table went to the disk.
func TestBlockCacheHoldsFlushedTables(t *testing.T) {
	// Small sizes make the memtables reach the cache's size quickly.
	s, err := Open("db", Options{FS: vfs.NewMem(), Logger: discardLogger(), CacheSize: 1 << 20, MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := make([]message.ID, 0, 10000)
	for i := range cap(ids) {
		ids = append(ids, mustAccept(t, s, sms("c", strconv.Itoa(i))))
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	read := func() {
		for _, id := range ids {
			if _, err := s.Get(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	read() // the first reads fill the cache
	before := s.db.Metrics().BlockCache
	read()
	after := s.db.Metrics().BlockCache
	hits, misses := after.Hits-before.Hits, after.Misses-before.Misses
	if hits == 0 || misses*10 > hits+misses {
		t.Fatalf("second reading of %d records: %d block cache hits, %d misses (cache %+v); want at least 90%% hits",
			len(ids), hits, misses, after)
	}
}

// A message loaded by an op, from the builder's own writes or from
// Pebble, allocates nothing besides the value: it is decoded into its
// group's record, and its strings are slices of the value, which nobody
// modifies, not a copy of it. One loaded from Pebble keeps its strings
// when Pebble's buffers are reused.
func TestLoadAllocations(t *testing.T) {
	s := openTest(t, vfs.NewMem(), nil)
	defer s.Close()
	want := sms("shop", "ref-1")
	want.Text = "a text long enough to be worth a copy of its own"
	id := mustAccept(t, s, want)
	check := func(r *rec) {
		t.Helper()
		if r.Customer != want.Customer || r.ClientRef != want.ClientRef || r.Text != want.Text || r.Recipient != want.Recipient {
			t.Fatalf("loaded %+v, want %+v", r.Message, *want)
		}
	}
	var allocs float64
	var loaded *rec
	err := s.do(context.Background(), func(w *writer) error {
		allocs = testing.AllocsPerRun(100, func() {
			var err error
			if loaded, err = w.load(id); err != nil {
				t.Error(err)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(loaded)
	if allocs != 0 {
		t.Errorf("load of a record the builder wrote: %v allocations, want none", allocs)
	}

	s.hot.reset()
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	err = s.do(context.Background(), func(w *writer) error {
		var err error
		loaded, err = w.load(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 { // Pebble's reads and writes go on over other buffers
		mustAccept(t, s, sms("shop", strconv.Itoa(i)))
		if _, err := s.Get(id); err != nil {
			t.Fatal(err)
		}
	}
	check(loaded)
}

// The hot cache keeps the last two generations of writes, and turning
// a generation over reuses the map of the one it drops: once both maps
// exist, writes allocate nothing.
func TestHotCacheGenerations(t *testing.T) {
	var c hotCache
	keys := make([]string, 3*hotGeneration)
	for i := range keys {
		keys[i] = string(appendMsgKey(nil, message.ID(i+1)))
	}
	v := []byte("v")
	for _, k := range keys[:2*hotGeneration] {
		c.set(k, v, true)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, k := range keys[2*hotGeneration:] { // a turn over, into a reused map
		c.set(k, v, true)
	}
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n != 0 {
		t.Errorf("%d allocations (%d bytes) in a generation of writes", n, after.TotalAlloc-before.TotalAlloc)
	}
	for j, k := range keys {
		_, _, ok := c.get([]byte(k))
		if want := j >= hotGeneration; ok != want { // the first generation was dropped
			t.Fatalf("key %d of %d: cached %v, want %v", j, len(keys), ok, want)
		}
	}
}
