package message

import (
	"testing"
	"time"
)

// TestIDNodeUnique: generators of three nodes on one clock, each stepped
// by a burst and by an Observe of another layout's id, never make the same
// id, keep their node number in every id, and keep the time order.
func TestIDNodeUnique(t *testing.T) {
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	gens := []*IDGen{{Now: clock, Node: 1}, {Now: clock, Node: 2}, {Now: clock, Node: 255}}
	gens[1].Observe(ID(uint64(now.Sub(IDEpoch)/time.Millisecond)<<idSeqBits | 0xfff07)) // a single relay's id: node 2 now
	seen := map[ID]int{}
	for round := range 3 {
		for i, g := range gens {
			var prev ID
			for range 5000 { // more than one millisecond's sequence
				id := g.Next()
				if id <= prev {
					t.Fatalf("node %d: %v after %v", g.Node, id, prev)
				}
				prev = id
				if got := id.Node(); got != g.Node {
					t.Fatalf("id %v names node %d, made by %d", id, got, g.Node)
				}
				if j, ok := seen[id]; ok {
					t.Fatalf("id %v made by generators %d and %d", id, j, i)
				}
				seen[id] = i
				if _, err := ParseID(id.String()); err != nil || len(id.String()) != 16 {
					t.Fatalf("id %q: %v", id.String(), err)
				}
			}
		}
		now = now.Add(time.Duration(round-1) * time.Millisecond) // the clock steps back, then on
	}
	// Alone (node 0) the layout is the one a relay always had: the first
	// id of a millisecond has sequence 0, the next 1.
	g := IDGen{Now: clock}
	a, b := g.Next(), g.Next()
	if uint64(a)&(1<<idSeqBits-1) != 0 || b != a+1 {
		t.Fatalf("alone: %x then %x", uint64(a), uint64(b))
	}
}
