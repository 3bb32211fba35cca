package bench

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

func TestTrackerCountsDuplicatesAndDoubleBills(t *testing.T) {
	tr := newTracker("r1")
	ok := &upstreampb.SubmitResp{Status: upstreampb.Status_OK}
	for i := range 4 {
		tr.sent(i)
		tr.answered(i, ok)
	}
	tr.sent(4)
	tr.answered(4, &upstreampb.SubmitResp{Status: upstreampb.Status_THROTTLED})
	rep := func(i int, seq uint64, st upstreampb.FinalState) {
		tr.report(&upstreampb.Report{ClientRef: tr.ref(i), ReportSeq: seq, State: st, Billed: upstreampb.Product_PRODUCT_SMS})
	}
	rep(0, 1, upstreampb.FinalState_DELIVERED)
	rep(0, 1, upstreampb.FinalState_DELIVERED) // redelivered: duplicate, not a second bill
	rep(1, 2, upstreampb.FinalState_DELIVERED)
	rep(1, 7, upstreampb.FinalState_DELIVERED) // a second delivered report: billed twice
	rep(2, 3, upstreampb.FinalState_FAILED)
	tr.report(&upstreampb.Report{ClientRef: "other-run-9", ReportSeq: 4})
	// message 3 never gets a report: lost

	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"accepted", tr.accepted.Load(), 4},
		{"refused", tr.refused.Load(), 1},
		{"delivered", tr.delivered.Load(), 2},
		{"failed", tr.failed.Load(), 1},
		{"duplicates", tr.duplicates.Load(), 2},
		{"double billed", tr.doubleBilled.Load(), 1},
		{"foreign", tr.foreign.Load(), 1},
		{"lost", tr.lost(5), 1},
		{"billed sms", tr.billed[upstreampb.Product_PRODUCT_SMS].Load(), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestTrackerGrowsByChunks(t *testing.T) {
	tr := newTracker("r")
	far := 3<<trackChunkBits + 5
	tr.sent(far)
	tr.answered(far, &upstreampb.SubmitResp{Status: upstreampb.Status_OK})
	if !tr.entry(far).accepted.Load() || tr.entry(trackChunks<<trackChunkBits) != nil {
		t.Fatal("entries past the first chunk, or none past the last")
	}
}

// A message whose answer never came (its node died) may still be
// reported; drain must not take that report for one of an accepted
// message still open.
func TestTrackerSettledCountsAcceptedReported(t *testing.T) {
	tr := newTracker("r")
	ok := &upstreampb.SubmitResp{Status: upstreampb.Status_OK}
	rep := func(i int) {
		tr.report(&upstreampb.Report{ClientRef: tr.ref(i), ReportSeq: uint64(i + 1), State: upstreampb.FinalState_DELIVERED})
	}
	for i := range 3 {
		tr.sent(i)
	}
	tr.answered(0, ok)
	tr.answered(1, ok)
	rep(2) // never answered
	rep(0)
	if a, f, s := tr.accepted.Load(), tr.finals.Load(), tr.settled.Load(); a != 2 || f != 2 || s != 1 {
		t.Fatalf("accepted %d, finals %d, settled %d; want 2, 2, 1", a, f, s)
	}
	tr.sent(3)
	rep(3) // its report before its answer
	tr.answered(3, ok)
	rep(1)
	if s := tr.settled.Load(); s != 3 {
		t.Fatalf("settled %d, want 3", s)
	}
}

// TestMessageStrings: a message's recipient and reference cost one
// allocation together, and read as they did when built apart.
func TestMessageStrings(t *testing.T) {
	tr := newTracker("r1")
	c := DefaultConfig()
	var buf []byte
	for _, i := range []int{0, 7, 89_999_999, 90_000_000, 123_456_789} {
		var to, ref string
		to, ref, buf = tr.recipientAndRef(buf, i)
		if want := fmt.Sprintf("010%08d", 10000000+i%90000000); to != want || recipient(i) != want {
			t.Errorf("message %d: recipient %q / %q, want %q", i, to, recipient(i), want)
		}
		if want := "r1-" + strconv.Itoa(i); ref != want || tr.ref(i) != want {
			t.Errorf("message %d: ref %q / %q, want %q", i, ref, tr.ref(i), want)
		}
	}
	var s upstreampb.Submit
	n := testing.AllocsPerRun(100, func() {
		to, ref, b := tr.recipientAndRef(buf, 12345)
		buf = b
		c.fill(&s, 12345, to, ref)
	})
	if n > 1 {
		t.Errorf("a message's strings and fields: %v allocations, want 1", n)
	}
	if s.Recipient != "01010012345" || s.ClientRef != "r1-12345" || s.Product != upstreampb.Product_PRODUCT_SMS || s.Text == "" {
		t.Errorf("filled %v", &s)
	}
}
