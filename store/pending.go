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

// sortByPrefix sorts o by (hi, lo), keeping the order of equal ones:
// a radix sort, first by the key's first byte (its table) into tmp, then
// each table's keys by the other fifteen (sortRun). tmp is scratch of
// o's length; the sorted keys are in one of the two.
func sortByPrefix(o, tmp []sortKey) []sortKey {
	var start [257]int
	for i := range o {
		start[o[i].hi>>56+1]++
	}
	for b := range 256 {
		start[b+1] += start[b]
	}
	next := start
	for i := range o {
		b := o[i].hi >> 56
		tmp[next[b]] = o[i]
		next[b]++
	}
	for b := range 256 {
		if from, to := start[b], start[b+1]; to-from > 1 {
			sortRun(tmp[from:to], o[from:to])
		}
	}
	return tmp
}

// sortRun sorts r, whose keys share their first byte, by the other
// fifteen, keeping the order of equal ones: a pass per byte from the
// last, skipping the bytes all of r's keys share, which within a table
// are most of them (a customer's name, the high bytes of times and ids).
// s is scratch of r's length; the sorted keys end in r.
func sortRun(r, s []sortKey) {
	// The bits in which some key differs from the first.
	var dhi, dlo uint64
	for i := range r {
		dhi |= r[i].hi ^ r[0].hi
		dlo |= r[i].lo ^ r[0].lo
	}
	src, dst := r, s
	for pass := range 15 {
		digit := func(k *sortKey) byte {
			if pass < 8 {
				return byte(k.lo >> (8 * pass))
			}
			return byte(k.hi >> (8 * (pass - 8)))
		}
		if digit(&sortKey{hi: dhi, lo: dlo}) == 0 {
			continue
		}
		var count [256]int
		for i := range src {
			count[digit(&src[i])]++
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for i := range src {
			b := digit(&src[i])
			dst[count[b]] = src[i]
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &r[0] {
		copy(r, src)
	}
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
