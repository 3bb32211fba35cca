package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
)

// sortKey orders pend: the first 16 bytes of the key as two big-endian
// numbers, zero-padded, then its index.
type sortKey struct {
	hi, lo uint64
	i      int32
}

func prefix(k []byte) (hi, lo uint64) {
	if len(k) >= 16 {
		return binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:])
	}
	var b [16]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:]), binary.BigEndian.Uint64(b[8:])
}

// pending is a write of a group waiting for the group's hand-over.
type pending struct {
	key, value []byte
	kind       byte
}

const (
	kindSet byte = iota
	kindMerge
	kindDel
	kindSingleDel
)

// pend1 keeps a write to a table ops do not read (due, rcpt, cust,
// outbox, ...) for the hand-over, with its bytes copied: callers may
// reuse theirs.
func (g *group) pend1(kind byte, key, value []byte) {
	k := len(g.arena)
	g.arena = append(g.arena, key...)
	v := len(g.arena)
	g.arena = append(g.arena, value...)
	g.pend = append(g.pend, pending{key: g.arena[k:v:v], value: g.arena[v:len(g.arena):len(g.arena)], kind: kind})
	if value == nil {
		g.pend[len(g.pend)-1].value = nil
	}
}

// putPending puts the pending writes into the batch in key order, and
// a key's writes in the order they were made.
//
// Pebble inserts a batch's keys into its memtable, a skiplist, one after
// the other, and starts each search from where the last insert ended: a
// key that falls next to the one before costs a comparison or two, any
// other a search from the top of a list of hundreds of thousands. A
// group's writes in the order its ops made them jump from table to table
// (a message's record, its due, reference and index keys, then the next
// message's); sorted, the new keys of each table follow each other, and
// most of a table's new keys (due times, ids, report sequences) come
// after every key it holds.
//
// A key set and single-deleted in the same group (a due key of a message
// accepted and made final before its group was handed over) goes in as
// neither.
func (g *group) putPending() error {
	p := g.pend
	// Sorted by the keys' first 16 bytes as numbers first, which decide
	// most comparisons without looking at the keys.
	o := g.order[:0]
	for i := range p {
		hi, lo := prefix(p[i].key)
		o = append(o, sortKey{hi, lo, int32(i)})
	}
	slices.SortFunc(o, func(a, b sortKey) int {
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		if a.lo != b.lo {
			return cmp.Compare(a.lo, b.lo)
		}
		if c := bytes.Compare(p[a.i].key, p[b.i].key); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	g.order = o
	for j := 0; j < len(o); j++ {
		e := &p[o[j].i]
		if e.kind == kindSet && j+1 < len(o) {
			if n := &p[o[j+1].i]; n.kind == kindSingleDel && bytes.Equal(e.key, n.key) {
				j++
				continue
			}
		}
		var err error
		switch e.kind {
		case kindSet:
			err = g.b.Set(e.key, e.value, nil)
		case kindMerge:
			err = g.b.Merge(e.key, e.value, nil)
		case kindDel:
			err = g.b.Delete(e.key, nil)
		case kindSingleDel:
			err = g.b.SingleDelete(e.key, nil)
		}
		if err != nil {
			return err
		}
	}
	clear(p) // the values are the group's
	g.pend, g.arena = p[:0], g.arena[:0]
	return nil
}
