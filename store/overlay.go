package store

import "bytes"

// overlay records what one group writes to the tables ops read back, so
// that later ops (in the same group, or in the next group while this one
// syncs) read it before Pebble has it; the group copies the last value of
// each key into its batch when it is handed over. A nil entry in puts is a
// deletion. Entries in puts are newer than every range in dels: delRange
// removes the entries it covers. Values are kept and returned without
// copying: nobody modifies a value once written.
//
// A key in fresh was absent when the group first wrote it (setFresh): if
// the group deletes it again, nothing of it need reach the batch, neither
// the value nor a tombstone. A receipt parked and taken by its message's
// submit answer in one group is the common case.
type overlay struct {
	puts  map[string][]byte
	dels  [][2][]byte
	fresh map[string]struct{}
	// single are the deletions in puts of keys set once since they were
	// last removed: they go into the batch as SingleDelete.
	single map[string]struct{}
	// merged are the keys in puts whose value is the one before the
	// group with bytes appended: only the bytes after base go into the
	// batch, as a merge.
	merged map[string]int
}

var empty = []byte{}

// set and del take the key as a string: the writer converts it once for
// the overlay and the hot cache.
func (o *overlay) set(key string, value []byte) {
	if o.puts == nil {
		o.puts = make(map[string][]byte)
	}
	if value == nil {
		value = empty // an empty value, not a deletion
	}
	o.puts[key] = value
	delete(o.single, key)
	delete(o.merged, key)
}

// merge is set for a value that is the key's value before it (base
// bytes long) with more appended. A key the group already wrote keeps
// the kind of that write: a set stays a set, a merge keeps its base.
func (o *overlay) merge(key string, value []byte, base int) {
	if v, ok := o.puts[key]; ok && v != nil {
		o.puts[key] = value
		return
	}
	o.set(key, value)
	if o.merged == nil {
		o.merged = make(map[string]int)
	}
	o.merged[key] = base
}

// setFresh is set for a key the caller read as absent.
func (o *overlay) setFresh(key string, value []byte) {
	if _, ok := o.puts[key]; !ok {
		if o.fresh == nil {
			o.fresh = make(map[string]struct{})
		}
		o.fresh[key] = struct{}{}
	}
	o.set(key, value)
}

func (o *overlay) del(key string) {
	o.remove(key, false)
}

// singleDel is del of a key set once since it was last removed.
func (o *overlay) singleDel(key string) {
	o.remove(key, true)
}

func (o *overlay) remove(key string, single bool) {
	if _, ok := o.fresh[key]; ok {
		// Absent before the group: absent again, as far as Pebble and
		// the groups before this one say.
		delete(o.fresh, key)
		delete(o.puts, key)
		delete(o.merged, key)
		return
	}
	if o.puts == nil {
		o.puts = make(map[string][]byte)
	}
	o.puts[key] = nil
	delete(o.merged, key)
	if single {
		if o.single == nil {
			o.single = make(map[string]struct{})
		}
		o.single[key] = struct{}{}
	} else {
		delete(o.single, key)
	}
}

func (o *overlay) delRange(start, end []byte) {
	for k := range o.puts {
		if k >= string(start) && k < string(end) {
			delete(o.puts, k)
			delete(o.fresh, k)
			delete(o.single, k)
			delete(o.merged, k)
		}
	}
	o.dels = append(o.dels, [2][]byte{bytes.Clone(start), bytes.Clone(end)})
}

// get says whether the overlay decides key (ok), and if so whether the key
// exists (found) with which value.
func (o *overlay) get(key []byte) (v []byte, found, ok bool) {
	if v, ok := o.puts[string(key)]; ok {
		if v == nil {
			return nil, false, true
		}
		return v, true, true
	}
	for _, r := range o.dels {
		if bytes.Compare(key, r[0]) >= 0 && bytes.Compare(key, r[1]) < 0 {
			return nil, false, true
		}
	}
	return nil, false, false
}
