package store

import "testing"

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
