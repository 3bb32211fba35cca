package faults

import (
	"fmt"
	"strings"
	"testing"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// clusterFacts is what the cluster scenario measured, for its oracle.
type clusterFacts struct {
	Messages int
	// Refused counts the submits refused, by status.
	Refused map[string]int
	// ReportedTwice is the messages the load saw reported delivered
	// under two report sequences (relaybench's double_billed): billed
	// twice as the customer sees it.
	ReportedTwice int64
	// Stores is the verdict over the three nodes' stores, summed.
	Stores Verdict
	// Statements is the total of the customer's statement as each node's
	// admin API answered it (the cluster's sum of every node's billing).
	Statements []int64
	// MostBinds is the SMSC's high-water mark of bound sockets of the
	// account; Quota the account's max_binds.
	MostBinds, Quota int
	// SMSC is the simulated SMSC's counters once every message was final.
	SMSC smpptest.Stats
	// HandsetBound bounds the handset duplicates: the killed node's
	// windows.
	HandsetBound int
}

// failures is every way the run broke the proof; none passes.
// Each check here is one that can fail: TestClusterOracleFails breaks
// each fact in turn.
func (f clusterFacts) failures() []string {
	var out []string
	fail := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	v := f.Stores
	// relaybench does not resend a refused submit, as a gateway would
	// one refused for a while (no quorum for a client_ref while a NATS
	// server's streams elect, a node starting): those are counted, not
	// judged, but a refusal for good is a fault, and the cluster must
	// take most of the load through the faults.
	if v.Accepted < f.Messages/2 {
		fail("only %d of %d messages accepted", v.Accepted, f.Messages)
	}
	for st, n := range f.Refused {
		switch st {
		case "THROTTLED", "STORE_UNAVAILABLE", "SHUTTING_DOWN":
		default:
			fail("%d submits refused %s", n, st)
		}
	}
	if v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 || v.ConflictingReports != 0 {
		fail("lost=%d double_billed=%d billing_mismatch=%d conflicting=%d; examples %v",
			v.Lost, v.DoubleBilled, v.BillingMismatch, v.ConflictingReports, v.Examples)
	}
	if f.ReportedTwice != 0 {
		fail("%d messages reported delivered twice (two report sequences)", f.ReportedTwice)
	}
	if v.MissingReports != 0 {
		fail("%d final messages never reported upstream", v.MissingReports)
	}
	// Every receipt correlated: on the relay's side no message waited
	// for its receipt until the expiry closed it; on the SMSC's, none was
	// dropped or still held for a bind at the end.
	if v.ExpiredByWindow != 0 {
		fail("%d messages never got their receipt (closed by the expiry)", v.ExpiredByWindow)
	}
	if f.SMSC.ReceiptsDrop != 0 || f.SMSC.ReceiptsKept != 0 {
		fail("the SMSC dropped %d receipts and still held %d for a bind", f.SMSC.ReceiptsDrop, f.SMSC.ReceiptsKept)
	}
	// Receipts on another node's bind: the SMSC sends each to another
	// node's bind whenever one is bound (smpptest's own tests hold it to
	// that); a node's own bind takes one only while no other node holds a
	// receiving bind: slots lost and taken again on a busy machine (35 of
	// 2,975 once at load 21, with 10 binds in all; 482 of 2,994 at load
	// 27, when late lease renewals unbound binds over and over). Nodes the
	// SMSC could not tell apart, or receipts not sent elsewhere, put them
	// all there.
	first := f.SMSC.ReceiptsOtherESME + f.SMSC.ReceiptsOwnESME
	if first == 0 || f.SMSC.ReceiptsOwnESME*2 > first {
		fail("receipts first sent on another node's bind %d, on their own node's %d (at most half)",
			f.SMSC.ReceiptsOtherESME, f.SMSC.ReceiptsOwnESME)
	}
	// Statement total = delivered, asked of the cluster (any node), and
	// every node answers the same.
	if len(f.Statements) < 2 {
		fail("statements asked of %d nodes, want 2 at least", len(f.Statements))
	}
	for i, s := range f.Statements {
		if s != int64(v.Delivered)+v.UnackedDelivered || s != v.Billed {
			fail("node %d's statement totals %d; delivered %d (+%d never acknowledged), the stores' counters %d",
				i+1, s, v.Delivered, v.UnackedDelivered, v.Billed)
		}
	}
	if f.MostBinds > f.Quota || f.MostBinds < 1 {
		fail("the SMSC saw %d binds of the account at once; quota %d", f.MostBinds, f.Quota)
	}
	if v.HandsetDuplicates > f.HandsetBound {
		fail("handset duplicates %d > %d (binds × window of the killed node)", v.HandsetDuplicates, f.HandsetBound)
	}
	return out
}

// The oracle's checks each fail when their fact is broken: a check that
// cannot fail proves nothing.
func TestClusterOracleFails(t *testing.T) {
	good := func() clusterFacts {
		return clusterFacts{
			Messages:   100,
			Refused:    map[string]int{"STORE_UNAVAILABLE": 3},
			Stores:     Verdict{Accepted: 100, Final: 100, Delivered: 98, Failed: 2, Billed: 98},
			Statements: []int64{98, 98, 98},
			MostBinds:  4, Quota: 4,
			SMSC:         smpptest.Stats{Receipts: 100, ReceiptsOtherESME: 100},
			HandsetBound: 64,
		}
	}
	if got := good().failures(); len(got) != 0 {
		t.Fatalf("a good run fails: %v", got)
	}
	for name, breakIt := range map[string]func(*clusterFacts){
		"few accepted":          func(f *clusterFacts) { f.Stores.Accepted = 40 },
		"refused for good":      func(f *clusterFacts) { f.Refused["INVALID_REQUEST"] = 1 },
		"lost":                  func(f *clusterFacts) { f.Stores.Lost = 1 },
		"double billed":         func(f *clusterFacts) { f.Stores.DoubleBilled = 1 },
		"reported twice":        func(f *clusterFacts) { f.ReportedTwice = 1 },
		"billing mismatch":      func(f *clusterFacts) { f.Stores.BillingMismatch = 1 },
		"conflicting reports":   func(f *clusterFacts) { f.Stores.ConflictingReports = 1 },
		"missing reports":       func(f *clusterFacts) { f.Stores.MissingReports = 1 },
		"receipt never came":    func(f *clusterFacts) { f.Stores.ExpiredByWindow = 1 },
		"receipt dropped":       func(f *clusterFacts) { f.SMSC.ReceiptsDrop = 1 },
		"receipt held":          func(f *clusterFacts) { f.SMSC.ReceiptsKept = 1 },
		"receipts at home":      func(f *clusterFacts) { f.SMSC.ReceiptsOtherESME, f.SMSC.ReceiptsOwnESME = 45, 55 },
		"receipts not counted":  func(f *clusterFacts) { f.SMSC.ReceiptsOtherESME = 0 },
		"statement short":       func(f *clusterFacts) { f.Statements[1] = 97 },
		"statement over":        func(f *clusterFacts) { f.Statements = []int64{99, 99, 99} },
		"statement of one node": func(f *clusterFacts) { f.Statements = f.Statements[:1] },
		"counters over":         func(f *clusterFacts) { f.Stores.Billed = 99 },
		"binds over quota":      func(f *clusterFacts) { f.MostBinds = 5 },
		"no bind seen":          func(f *clusterFacts) { f.MostBinds = 0 },
		"handset duplicates":    func(f *clusterFacts) { f.Stores.HandsetDuplicates = 65 },
	} {
		f := good()
		breakIt(&f)
		if got := f.failures(); len(got) == 0 {
			t.Errorf("%s: passes", name)
		} else {
			t.Logf("%s: %s", name, strings.Join(got, "; "))
		}
	}
}
