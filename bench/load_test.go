package bench

import (
	"sync"
	"testing"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestAnswerAllocs: following a submit to its answer allocates nothing:
// the callback SubmitAsync is given is kept from one message to the next.
func TestAnswerAllocs(t *testing.T) {
	l := &load{cfg: &Config{}, t: newTracker("r1")}
	var answers sync.WaitGroup
	ok := &upstreampb.SubmitResp{Status: upstreampb.Status_OK}
	i := 0
	n := testing.AllocsPerRun(100, func() {
		l.t.sent(i)
		answers.Add(1)
		l.answer(&answers, i, "r1-0").done(ok, nil)
		i++
	})
	if n != 0 {
		t.Errorf("a submit's answer: %v allocations, want 0", n)
	}
	if got := l.t.accepted.Load(); got != int64(i) {
		t.Errorf("%d accepted, want %d", got, i)
	}
}
