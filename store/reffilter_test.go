package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/msgrelay/relay/relay/message"
)

// After a reopen the reference filter is rebuilt from the table: a
// resubmission of a reference accepted before the restart is still a
// duplicate once the filter is trusted, and a new reference is not.
func TestRefFilterAcrossReopen(t *testing.T) {
	fs := vfs.NewMem()
	s := openTest(t, fs, nil)
	ctx := context.Background()
	first := map[string]uint64{}
	for i := 0; i < 5000; i++ {
		ref := fmt.Sprint("r-", i)
		id, dup, err := s.Accept(ctx, sms("shop", ref))
		if err != nil || dup {
			t.Fatalf("accept %s: %v %v", ref, dup, err)
		}
		first[ref] = uint64(id)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, fs, nil)
	defer s.Close()
	if _, err := s.Recover(func(*message.Message) error { return nil }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !s.refs.ready.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the reference filter never became ready")
		}
		time.Sleep(time.Millisecond)
	}
	for ref, want := range first {
		id, dup, err := s.Accept(ctx, sms("shop", ref))
		if err != nil || !dup || uint64(id) != want {
			t.Fatalf("resubmitted %s after reopen: id %v dup %v err %v, want the first id %v", ref, id, dup, err, want)
		}
	}
	for i := 0; i < 100; i++ {
		if _, dup, err := s.Accept(ctx, sms("shop", fmt.Sprint("new-", i))); err != nil || dup {
			t.Fatalf("a new reference: dup %v err %v", dup, err)
		}
	}
	// A customer's own reference does not shadow another's.
	if _, dup, err := s.Accept(ctx, sms("other", "r-1")); err != nil || dup {
		t.Fatalf("another customer's r-1: dup %v err %v", dup, err)
	}
}

// The receipt index has a filter of its own: after a reopen, once it is
// rebuilt, a receipt for a carrier id recorded before the restart is
// applied, and one for an id never recorded is parked.
func TestReceiptIndexFilterAcrossReopen(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock()
	s := openTest(t, fs, c)
	ids := map[string]message.ID{}
	for i := range 200 {
		cmid := fmt.Sprintf("C%d", i)
		id := mustAccept(t, s, sms("shop", cmid))
		toSent(t, s, id, cmid, c.Now())
		ids[cmid] = id
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, fs, c)
	defer s.Close()
	if _, err := s.Recover(func(*message.Message) error { return nil }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !s.dlrs.ready.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the receipt index filter never became ready")
		}
		time.Sleep(time.Millisecond)
	}
	ctx := context.Background()
	for cmid, id := range ids {
		out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: cmid, Delivered: true, Final: true, Result: delivrd})
		if err != nil || out != OutcomeApplied {
			t.Fatalf("receipt for %s (message %s) after reopen: %v %v", cmid, id, out, err)
		}
	}
	if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "NEW", Delivered: true, Final: true}); err != nil || out != OutcomeParked {
		t.Fatalf("receipt for an id nobody holds: %v %v", out, err)
	}
	mustVerify(t, s)
}

// The filter's false-positive rate at the load its size is stated for
// (10 million keys in 1<<26 bits), measured on a filter 64 times smaller
// with 64 times fewer keys: a blocked filter's rate depends on the bits
// a key has, not on how many lines there are. No key added is ever
// answered "surely not".
func TestRefFilterFalsePositives(t *testing.T) {
	const bits = refFilterBits / 64
	keys := int(10e6 / 64)
	f := newRefFilterBits(tRef, bits)
	f.ready.Store(true)
	key := func(set string, i int) []byte { return fmt.Appendf(nil, "%s-%d", set, i) }
	for i := range keys {
		f.add(key("in", i))
	}
	for i := range keys {
		if !f.mayContain(key("in", i)) {
			t.Fatalf("key %d added, answered surely not", i)
		}
	}
	const probes = 200000
	fp := 0
	for i := range probes {
		if f.mayContain(key("out", i)) {
			fp++
		}
	}
	rate := float64(fp) / probes
	t.Logf("false positives: %.2f%% of %d absent keys, %d keys in %d bits", 100*rate, probes, keys, bits)
	if rate > 0.05 {
		t.Fatalf("false positives %.2f%%, stated as about 4.2%%", 100*rate)
	}
}

// BenchmarkRefFilter is an add and a lookup of a new key, as an
// acceptance with a fresh client reference makes them, in a filter of the
// size the store uses.
func BenchmarkRefFilter(b *testing.B) {
	f := newRefFilter(tRef)
	f.ready.Store(true)
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "\x02shop\x00ref-%d", i)
	}
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		k := keys[i&(len(keys)-1)]
		k[len(k)-1] ^= byte(i >> 16) // a different key each round of keys
		if !f.mayContain(k) {
			n++
		}
		f.add(k)
	}
	_ = n
}
