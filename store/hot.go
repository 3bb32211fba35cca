package store

import "github.com/cockroachdb/pebble/v2"

// hotCache holds the newest value the builder wrote for recently written
// keys of the tables ops read back (records, indexes, counters), so that
// the next transition of a message just accepted or just sent does not
// search Pebble's memtables for it. Only the builder goroutine touches it.
//
// Every value it holds is one the builder wrote after everything before it,
// so a hit is the key's newest value, committed or still in flight. An
// aborted group and a range deletion reset it. It is two generations of a
// map: when the newer one reaches hotGeneration entries it becomes the
// older one, and the older one is dropped, which bounds its size.
type hotCache struct {
	cur, old map[string]hotValue

	// parked is every key of the parked-receipt table while parkedKnown:
	// receipts are parked rarely, but every new carrier id is looked up
	// there, and a miss in Pebble costs a memtable search.
	parked      map[string]struct{}
	parkedKnown bool
}

type hotValue struct {
	v     []byte
	found bool // false: the key was deleted
}

// hotGeneration bounds one generation: some 100 ms of traffic at full
// speed, which covers a message's submit answer after its acceptance and,
// with receipts at once, its receipt; later reads go to Pebble's memtables
// and block cache. At 1<<16 (about a second) the map outgrew the
// processor's caches: its inserts were 3.4% of the CPU samples of the
// default bench scenario (2.0% at 1<<13), with 60 MiB more peak RSS, and
// the reads it caught besides cost less than that.
const hotGeneration = 1 << 13

func (c *hotCache) get(key []byte) (v []byte, found, ok bool) {
	if hv, ok := c.cur[string(key)]; ok {
		return hv.v, hv.found, true
	}
	if hv, ok := c.old[string(key)]; ok {
		return hv.v, hv.found, true
	}
	return nil, false, false
}

func (c *hotCache) set(key string, v []byte, found bool) {
	if key[0] == tParked && c.parkedKnown {
		if found {
			c.parked[key] = struct{}{}
		} else {
			delete(c.parked, key)
		}
	}
	if c.cur == nil {
		c.cur = make(map[string]hotValue, hotGeneration)
	}
	if len(c.cur) >= hotGeneration {
		// The older generation's map, emptied, is the newer one: a map
		// of this size costs some 600 KB to make, every 8,192 writes.
		c.old, c.cur = c.cur, c.old
		if c.cur == nil {
			c.cur = make(map[string]hotValue, hotGeneration)
		}
		clear(c.cur)
	}
	c.cur[key] = hotValue{v: v, found: found}
}

// reset forgets everything; the parked keys are no longer known either,
// so lookups go to Pebble again.
func (c *hotCache) reset() { c.cur, c.old, c.parked, c.parkedKnown = nil, nil, nil, false }

// noParked reports whether key is surely not a parked receipt.
func (c *hotCache) noParked(key []byte) bool {
	if !c.parkedKnown {
		return false
	}
	_, ok := c.parked[string(key)]
	return !ok
}

// loadParked reads the parked-receipt keys at open.
func (c *hotCache) loadParked(db *pebble.DB) error {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{tParked}, UpperBound: []byte{tParked + 1}})
	if err != nil {
		return err
	}
	c.parked = map[string]struct{}{}
	for ok := it.First(); ok; ok = it.Next() {
		c.parked[string(it.Key())] = struct{}{}
	}
	if err := it.Close(); err != nil {
		return err
	}
	c.parkedKnown = true
	return nil
}
