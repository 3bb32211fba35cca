package faults

import (
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestReceiptFaults runs the receipt misbehaviours under load. Pass for
// each: every message correlated (delivered: the carrier fails none),
// exactly one final state, none billed twice, every deliver_sm answered
// with ESME_ROK (DeliverAcks = Receipts, no nacks).
func TestReceiptFaults(t *testing.T) {
	n := Pick(500, 20_000)
	cases := []struct {
		name  string
		scfg  smpptest.Config
		setup Setup
	}{
		{"receipt before submit_sm_resp", smpptest.Config{Behavior: smpptest.Behavior{ReceiptBeforeResp: true}}, Setup{}},
		{"every receipt twice", smpptest.Config{Behavior: smpptest.Behavior{DuplicateReceipts: true}}, Setup{}},
		{"receipts on another bind", smpptest.Config{Behavior: smpptest.Behavior{ReceiptsElsewhere: true}}, Setup{}},
		{"ids upper case, zero padded", smpptest.Config{IDUpper: true, IDWidth: 16}, Setup{}},
		{"receipt ids in decimal, answers in hex", smpptest.Config{ReceiptOtherBase: true, IDWidth: 10},
			Setup{RespIDs: "hex", ReceiptIDs: "decimal"}},
		{"late answers, early receipts", smpptest.Config{Behavior: smpptest.Behavior{ReceiptBeforeResp: true, RespDelay: 300 * time.Millisecond}}, Setup{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup.Binds = 2
			r := newCarrierRig(t, tc.scfg, tc.setup, 2)
			v := r.run(r.loader("rf", n, 2000), RestartQuiet, nil)
			// Every message is final once its first receipt is in; a
			// duplicate may still be on its way, so wait (bounded) until
			// every deliver_sm sent has had its answer.
			st := r.c.Stats()
			for end := time.Now().Add(10 * time.Second); st.DeliverAcks+st.DeliverNacks < st.Receipts && time.Now().Before(end); st = r.c.Stats() {
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("%v receipts=%d acks=%d nacks=%d", v, st.Receipts, st.DeliverAcks, st.DeliverNacks)
			if v.Delivered != n || v.ExpiredByWindow != 0 {
				t.Errorf("delivered %d of %d, %d left without a correlated receipt", v.Delivered, n, v.ExpiredByWindow)
			}
			if st.DeliverNacks != 0 || st.DeliverAcks != st.Receipts {
				t.Errorf("deliver_sm: %d sent, %d acked, %d refused", st.Receipts, st.DeliverAcks, st.DeliverNacks)
			}
		})
	}
}
