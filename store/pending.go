package store

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// sortKey orders pend: the first 16 bytes of the key as two big-endian
// numbers, zero-padded, and the write's index.
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

// sortByPrefix sorts o by (hi, lo), keeping the order of equal ones: a
// radix sort, a pass per byte from the last, skipping the bytes all keys
// share. tmp is scratch of o's length; the sorted keys are in one of the
// two.
func sortByPrefix(o, tmp []sortKey) []sortKey {
	for pass := range 16 {
		digit := func(k *sortKey) byte {
			if pass < 8 {
				return byte(k.lo >> (8 * pass))
			}
			return byte(k.hi >> (8 * (pass - 8)))
		}
		var count [256]int
		for i := range o {
			count[digit(&o[i])]++
		}
		if len(o) == 0 || count[digit(&o[0])] == len(o) {
			continue
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for i := range o {
			b := digit(&o[i])
			tmp[count[b]] = o[i]
			count[b]++
		}
		o, tmp = tmp, o
	}
	return o
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

// putPending puts the pending writes into the batch ordered by their
// keys' first 16 bytes (the table and the start of the key: an id, a due
// time, a customer's or a carrier's name), and those with the same 16 in
// the order they were made.
//
// Pebble inserts a batch's keys into its memtable, a skiplist, one after
// the other, and starts each search from where the last insert ended: a
// key that falls next to the one before costs a comparison or two, any
// other a search from the top of a list of hundreds of thousands. A
// group's writes in the order its ops made them jump from table to table
// (a message's record, its due, reference and index keys, then the next
// message's); ordered so, the new keys of each table (of each customer,
// of each carrier) follow each other, and most of them (due times, ids,
// report sequences, carrier ids) come in the order of the keys, after
// every key the table holds. Keys that fall at random (client references,
// recipients) gain nothing from a full sort, which cost as much as it
// saved.
//
// A key set and single-deleted in the same group (a due key of a message
// accepted and made final before its group was handed over) goes in as
// neither.
func (g *group) putPending() error {
	p := g.pend
	o := g.order[:0]
	for i := range p {
		hi, lo := prefix(p[i].key)
		o = append(o, sortKey{hi, lo, int32(i)})
	}
	g.order = o
	g.scratch = slices.Grow(g.scratch[:0], len(o))[:len(o)]
	o = sortByPrefix(o, g.scratch)
	for j := 0; j < len(o); j++ {
		e := &p[o[j].i]
		if e.kind == kindSet && j+1 < len(o) { // same key: same prefix, in order
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
