package store

import (
	"hash/maphash"
	"math/bits"
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
	// words are the filter's bits, in lines of 8 words (64 bytes, a
	// cache line: an allocation this large starts on a page); a key's
	// bits are all in one line, which the top bits of its hash choose.
	words []atomic.Uint64
	shift uint // 64 - log2(lines)
	ready atomic.Bool

	start     chan struct{} // closed by begin: the scan may run
	startOnce sync.Once
}

// refFilterBits sizes the filter: 8 MiB. It is a blocked Bloom filter:
// each key sets refFilterHashes bits of one 512-bit line, so that an add
// or a lookup touches one cache line, not one per bit (a filter this
// large is not in the processor's caches). With 10 million references
// about 4.2% of the lookups of absent keys answer "maybe" (4.0% were the
// bits spread over the whole filter; TestRefFilterFalsePositives measures
// it), and a false positive costs one lookup.
const (
	refFilterBits   = 1 << 26
	refFilterHashes = 4 // of 9 bits each: the line's word, the word's bit
)

func newRefFilter(table byte) *refFilter { return newRefFilterBits(table, refFilterBits) }

// newRefFilterBits is a filter of n bits, a power of two of at least a
// line.
func newRefFilterBits(table byte, n int) *refFilter {
	return &refFilter{table: table, seed: maphash.MakeSeed(), words: make([]atomic.Uint64, n/64),
		shift: uint(64 - bits.TrailingZeros(uint(n/512))), start: make(chan struct{})}
}

// begin lets the scan that fills the filter run: after Recover, or at the
// first acceptance.
func (f *refFilter) begin() { f.startOnce.Do(func() { close(f.start) }) }

// line returns key's line and the hash whose low bits place its bits.
func (f *refFilter) line(key []byte) (*[8]atomic.Uint64, uint64) {
	h := maphash.Bytes(f.seed, key)
	i := (h >> f.shift) * 8
	return (*[8]atomic.Uint64)(f.words[i : i+8]), h
}

func (f *refFilter) add(key []byte) {
	l, h := f.line(key)
	for range refFilterHashes {
		l[h>>6&7].Or(1 << (h & 63))
		h >>= 9
	}
}

// mayContain is false only when the key is surely not in the store.
func (f *refFilter) mayContain(key []byte) bool {
	if !f.ready.Load() {
		return true
	}
	l, h := f.line(key)
	for range refFilterHashes {
		if l[h>>6&7].Load()&(1<<(h&63)) == 0 {
			return false
		}
		h >>= 9
	}
	return true
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
