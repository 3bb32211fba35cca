package bench

import (
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
