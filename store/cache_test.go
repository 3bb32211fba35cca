package store

import (
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
