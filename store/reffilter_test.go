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
