package smpptest

import (
	"runtime"
	"testing"

	"github.com/msgrelay/relay/smpp/pdu"
)

// TestStateMapGrowsWithUse: a server made to remember many messages
// (MaxRecorded) but sent few holds memory for the few. A test that keeps
// many such servers (one per simulated carrier restart) must not pay a
// full generation for each.
func TestStateMapGrowsWithUse(t *testing.T) {
	s := &Server{cfg: Config{MaxRecorded: 1 << 20}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 10 {
		s.setState(string(rune('a'+i)), pdu.StateEnroute)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("10 states took %d KiB", got>>10)
	}
	if st, ok := s.state("a"); !ok || st != pdu.StateEnroute {
		t.Fatalf("state a: %v %v", st, ok)
	}
}
