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
