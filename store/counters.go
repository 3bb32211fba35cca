package store

import (
	"encoding/binary"
	"fmt"
)

// counters are the counters (report sequences, billing and daily counts)
// a group has read or written. Every final move of a group reads and
// rewrites the same few of them; they stay here, each read once from the
// store, and go into the group's overlay once, with their last value, at
// hand-over, instead of each increment going through the overlay and the
// hot cache. Only counter and setCounter read or write these tables
// within the builder.
type counters struct {
	idx map[string]int
	e   []counterEntry
}

type counterEntry struct {
	key   string
	v     uint64
	dirty bool // written by the group
}

// counter reads an 8-byte big-endian counter; absent is zero.
func (w *writer) counter(key []byte) (uint64, error) {
	c := &w.g.ctr
	if i, ok := c.idx[string(key)]; ok {
		return c.e[i].v, nil
	}
	v, ok, err := w.get(key)
	if err != nil {
		return 0, err
	}
	var n uint64
	if ok {
		if len(v) != 8 {
			return 0, fmt.Errorf("counter %x: %w", string(key), ErrCorrupt)
		}
		n = binary.BigEndian.Uint64(v)
	}
	c.add(string(key), n)
	return n, nil
}

// setCounter writes a counter the op has read with counter.
func (w *writer) setCounter(key []byte, v uint64) {
	c := &w.g.ctr
	i, ok := c.idx[string(key)]
	if !ok {
		i = c.add(string(key), 0)
	}
	c.e[i].v, c.e[i].dirty = v, true
	w.g.writes++
}

func (c *counters) add(key string, v uint64) int {
	if c.idx == nil {
		c.idx = make(map[string]int)
	}
	c.idx[key] = len(c.e)
	c.e = append(c.e, counterEntry{key: key, v: v})
	return len(c.e) - 1
}

// flush writes the counters the group changed into its overlay and the
// hot cache, and forgets them all.
func (g *group) flushCounters(hot *hotCache) {
	c := &g.ctr
	for i := range c.e {
		if e := &c.e[i]; e.dirty {
			v := be64(e.v)
			g.over.set(e.key, v)
			hot.set(e.key, v, true)
		}
	}
	clear(c.idx)
	c.e = c.e[:0]
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
