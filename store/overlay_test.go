package store

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

func TestOverlay(t *testing.T) {
	var o overlay
	check := func(key string, wantV string, wantFound, wantOK bool) {
		t.Helper()
		v, found, ok := o.get([]byte(key))
		if string(v) != wantV || found != wantFound || ok != wantOK {
			t.Fatalf("get(%q) = %q %v %v, want %q %v %v", key, v, found, ok, wantV, wantFound, wantOK)
		}
	}
	check("a", "", false, false)
	o.set("a", []byte("1"))
	o.set("b", []byte("2"))
	o.del("c")
	o.set("d", nil) // an empty value, not a deletion
	check("a", "1", true, true)
	check("c", "", false, true)
	check("d", "", true, true)
	o.delRange([]byte("a"), []byte("b"))
	check("a", "", false, true) // covered by the range
	check("b", "2", true, true) // end is exclusive
	check("z", "", false, false)
	o.set("a", []byte("3")) // newer than the range
	check("a", "3", true, true)
}

// A group's overlay map, once the group is synced and out of flight, is
// emptied and goes to a group started later: the group of the first
// write's map serves the third's.
func TestOverlayMapsReused(t *testing.T) {
	s := openTest(t, vfs.NewMem(), nil)
	defer s.Close()
	spare := func() unsafe.Pointer {
		t.Helper()
		if len(s.spare) != 1 {
			t.Fatalf("%d spare maps, want 1", len(s.spare))
		}
		sp := <-s.spare
		o := sp.over
		if len(o.puts) != 0 || len(o.fresh) != 0 || len(o.single) != 0 || len(o.merged) != 0 || o.dels != nil || len(sp.tailReports) != 0 {
			t.Fatalf("a spare group's part holds %+v", sp)
		}
		s.spare <- sp
		return reflect.ValueOf(o.puts).UnsafePointer()
	}
	mustAccept(t, s, sms("shop", "r1"))
	first := spare()
	mustAccept(t, s, sms("shop", "r2"))
	if spare() == first {
		t.Fatal("the first group's map spare after the second write")
	}
	mustAccept(t, s, sms("shop", "r3"))
	if spare() != first {
		t.Fatal("the third group did not take the first one's map")
	}
}

// A synced group that wrote a report leaves its array of reports,
// emptied, to a group to come, with the report it held cleared.
func TestSyncedGroupLeavesItsReports(t *testing.T) {
	s := openTest(t, vfs.NewMem(), nil)
	defer s.Close()
	failNow(t, s, "shop", "r1", message.IngressUpstream)
	sp := <-s.spare
	if len(sp.tailReports) != 0 || cap(sp.tailReports) == 0 {
		t.Fatalf("the report's group left %d reports, room for %d", len(sp.tailReports), cap(sp.tailReports))
	}
	if sp.tailReports[:1][0] != (tailReport{}) {
		t.Fatalf("a spare report holds %+v", sp.tailReports[:1][0])
	}
	s.spare <- sp
}
