package store

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// TestBatchInKeyOrder checks that a group's batch reaches Pebble ordered
// by its keys' first 16 bytes, whatever order its ops wrote in: a batch of
// acceptances from three customers writes each message's record,
// reference, due and index keys one message after the other.
func TestBatchInKeyOrder(t *testing.T) {
	s := openTest(t, vfs.NewMem(), newClock())
	defer s.Close()
	var batches, unordered int
	s.committing = func(b *pebble.Batch) {
		batches++
		var last []byte
		for r := b.Reader(); ; {
			_, k, _, ok, err := r.Next()
			if err != nil || !ok {
				return
			}
			if last != nil {
				h0, l0 := prefix(last)
				h1, l1 := prefix(k)
				if h0 > h1 || h0 == h1 && l0 > l1 {
					unordered++
				}
			}
			last = append(last[:0], k...)
		}
	}
	var ms []*message.Message
	for i := range 60 {
		m := sms(fmt.Sprintf("c%d", i%3), fmt.Sprintf("ref-%d", 60-i))
		m.Recipient = fmt.Sprintf("0101234%04d", (i*7919)%10000)
		ms = append(ms, m)
	}
	out := make([]Accepted, len(ms))
	if err := s.AcceptBatch(context.Background(), ms, out); err != nil {
		t.Fatal(err)
	}
	if batches == 0 || unordered > 0 {
		t.Fatalf("%d batches, %d keys after one of a greater prefix", batches, unordered)
	}
	mustVerify(t, s)
}

// TestPendingSetAndSingleDelete checks the hand-over of a group's writes:
// sorted by key, a key's writes kept in their order, and a key set and
// single-deleted in the same group written as neither.
func TestPendingSetAndSingleDelete(t *testing.T) {
	db, err := pebble.Open("db", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := &group{b: db.NewBatch()}
	key := []byte{tDue, 9, 9}
	g.pend1(kindSet, []byte{tRcpt, 2}, nil)
	g.pend1(kindSet, key, nil)
	g.pend1(kindSet, []byte{tCust, 1}, []byte("v"))
	g.pend1(kindSingleDel, key, nil)
	g.pend1(kindSet, []byte{tDue, 1}, nil)
	g.pend1(kindDel, []byte{tCust, 1}, nil)
	if err := g.putPending(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for r := g.b.Reader(); ; {
		kind, k, v, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, fmt.Sprintf("%x %s %q", k, kind, v))
	}
	want := []string{`0501 SET ""`, `0a02 SET ""`, `0b01 SET "v"`, `0b01 DEL ""`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("batch\n%q\nwant\n%q", got, want)
	}
	if len(g.pend) != 0 || len(g.arena) != 0 {
		t.Fatalf("pending left: %d writes, %d bytes", len(g.pend), len(g.arena))
	}
}

// sortByPrefix against a stable comparison sort, on prefixes drawn from a
// few values per byte so that ties and shared bytes are common.
func TestSortByPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		n := rng.IntN(600)
		o := make([]sortKey, n)
		for i := range o {
			for b := range 16 {
				v := uint64(rng.IntN(3)) * uint64(round%5)
				if b < 8 {
					o[i].hi = o[i].hi<<8 | v
				} else {
					o[i].lo = o[i].lo<<8 | v
				}
			}
			o[i].i = int32(i)
		}
		want := slices.Clone(o)
		slices.SortStableFunc(want, func(a, b sortKey) int {
			if c := cmp.Compare(a.hi, b.hi); c != 0 {
				return c
			}
			return cmp.Compare(a.lo, b.lo)
		})
		got := sortByPrefix(o, make([]sortKey, n))
		if !slices.Equal(got, want) {
			t.Fatalf("round %d, %d keys: radix order differs from a stable sort", round, n)
		}
	}
}

// BenchmarkSortByPrefix sorts the writes of a group of 100 messages to
// the tables ops do not read, as they come: each message's due key,
// customer and recipient index keys and outbox report.
func BenchmarkSortByPrefix(b *testing.B) {
	var o []sortKey
	rng := rand.New(rand.NewPCG(5, 6))
	at := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	for i := range 100 {
		id := message.ID(1<<40 + i)
		for _, k := range [][]byte{
			appendDueKey(nil, at.Add(time.Duration(i)*time.Millisecond), id),
			custKey("bench1", id),
			rcptKey("bench1", fmt.Sprintf("0101%07d", rng.IntN(1e7)), id),
			outboxKey("bench1", uint64(5000+i)),
		} {
			hi, lo := prefix(k)
			o = append(o, sortKey{hi, lo, int32(len(o))})
		}
	}
	in, tmp := make([]sortKey, len(o)), make([]sortKey, len(o))
	b.ReportAllocs()
	for b.Loop() {
		copy(in, o)
		sortByPrefix(in, tmp)
	}
}
