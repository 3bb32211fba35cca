package store

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// refFilter is a Bloom filter over the keys of one table: the client
// references, or the carrier ids of the receipt index. Almost every
// acceptance carries a reference never seen before, and a receipt that
// overtakes its submit answer names a carrier id not yet recorded;
// proving either to Pebble costs a search of every memtable and table:
// the filter answers most of those lookups in memory. It only ever says
// "maybe" or "surely not", so deleted keys (a purge, a carrier id a
// message gave up) just stay "maybe".
//
// It is filled from the table by a scan that starts after recovery (or at
// the first acceptance) and runs beside traffic; the builder adds every reference it writes from
// the start. Until the scan is done, every answer is "maybe".
type refFilter struct {
	table byte
	seed  maphash.Seed
	words []atomic.Uint64
	ready atomic.Bool

	start     chan struct{} // closed by begin: the scan may run
	startOnce sync.Once
}

// refFilterBits sizes the filter: 8 MiB, about 4% false positives with
// 10 million references and 5 hashes (a false positive costs one lookup).
const (
	refFilterBits   = 1 << 26
	refFilterHashes = 5
)

func newRefFilter(table byte) *refFilter {
	return &refFilter{table: table, seed: maphash.MakeSeed(), words: make([]atomic.Uint64, refFilterBits/64),
		start: make(chan struct{})}
}

// begin lets the scan that fills the filter run: after Recover, or at the
// first acceptance.
func (f *refFilter) begin() { f.startOnce.Do(func() { close(f.start) }) }

func (f *refFilter) bits(key []byte, fn func(word int, mask uint64) bool) bool {
	h := maphash.Bytes(f.seed, key)
	h1, h2 := h, h>>32|1
	for i := uint64(0); i < refFilterHashes; i++ {
		b := (h1 + i*h2) % refFilterBits
		if !fn(int(b/64), 1<<(b%64)) {
			return false
		}
	}
	return true
}

func (f *refFilter) add(key []byte) {
	f.bits(key, func(w int, m uint64) bool {
		f.words[w].Or(m)
		return true
	})
}

// mayContain is false only when the key is surely not in the store.
func (f *refFilter) mayContain(key []byte) bool {
	if !f.ready.Load() {
		return true
	}
	return f.bits(key, func(w int, m uint64) bool { return f.words[w].Load()&m != 0 })
}

// fill adds every key in the table, then marks the filter ready. It stops
// early, leaving the filter not ready, when stop is closed.
func (f *refFilter) fill(db *pebble.DB, stop <-chan struct{}) error {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{f.table}, UpperBound: []byte{f.table + 1}})
	if err != nil {
		return err
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		f.add(it.Key())
		if n++; n%4096 == 0 {
			select {
			case <-stop:
				return it.Close()
			default:
			}
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	f.ready.Store(true)
	return nil
}
