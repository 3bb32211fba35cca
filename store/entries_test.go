package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// entryCounter counts the entries of the batches a store commits, by
// table and kind ("01 set", "06 singledel", ...).
type entryCounter map[string]int

// byteCounter counts the key and value bytes of the batches a store
// commits, by table ("01", ...).
type byteCounter map[string]int

func (c entryCounter) count(t *testing.T, b *pebble.Batch) {
	c.countBytes(t, b, nil)
}

func (c entryCounter) countBytes(t *testing.T, b *pebble.Batch, bytes byteCounter) {
	r := b.Reader()
	for {
		kind, k, v, ok, err := r.Next()
		if err != nil {
			t.Errorf("batch: %v", err)
			return
		}
		if !ok {
			return
		}
		var name string
		switch kind {
		case pebble.InternalKeyKindSet:
			name = "set"
		case pebble.InternalKeyKindDelete:
			name = "delete"
		case pebble.InternalKeyKindSingleDelete:
			name = "singledel"
		case pebble.InternalKeyKindMerge:
			name = "merge"
		default:
			name = kind.String()
		}
		c[fmt.Sprintf("%02x %s", k[0], name)]++
		if bytes != nil {
			bytes[fmt.Sprintf("%02x", k[0])] += len(k) + len(v)
		}
	}
}

// perMessage drops the counters a customer's messages share (report
// sequence, billing and daily counts): a group writes each of them once,
// however many of its messages it makes final.
func (c entryCounter) perMessage() (entryCounter, int) {
	out, n := entryCounter{}, 0
	for k, v := range c {
		switch k[:2] {
		case "08", "09", "0e":
			continue
		}
		out[k] = v
		n += v
	}
	return out, n
}

func (c entryCounter) String() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(c)) {
		fmt.Fprintf(&b, "%s: %d\n", k, c[k])
	}
	return b.String()
}

// TestEntriesPerMessage writes one SMS through its whole life the way the
// relay does (accepted with a client reference, sent in one Advance, a
// delivery receipt, its report read and acknowledged), each step in a
// commit of its own, and counts the Pebble entries it cost. Every entry is
// a memtable insert, WAL bytes, and a key for flushes and compactions to
// carry; a deletion that is not a SingleDelete of a key set once is a
// tombstone carried down to the last level.
func TestEntriesPerMessage(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	counted, bytes := entryCounter{}, byteCounter{}
	s.committing = func(b *pebble.Batch) { counted.countBytes(t, b, bytes) }
	ctx := context.Background()

	id := mustAccept(t, s, sms("c1", "ref-1"))
	accepted := bytes["01"]
	if err := s.Advance(ctx, id, message.StateAccepted,
		[]message.State{message.StateQueued, message.StateSending, message.StateSent},
		func(m *message.Message) { m.Carrier, m.CarrierMsgID, m.SentAt = "skt", "0A1B", c.Now() }); err != nil {
		t.Fatal(err)
	}
	out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "0A1B", Delivered: true, Final: true, Result: delivrd})
	if err != nil || out != OutcomeApplied {
		t.Fatalf("receipt: %v %v", out, err)
	}
	rs, err := s.Reports("c1", 0, 10)
	if err != nil || len(rs) != 1 {
		t.Fatalf("reports: %v %v", rs, err)
	}
	if err := s.AckReports(ctx, "c1", rs[0].Seq); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s)

	got, n := counted.perMessage()
	// Before: 13, with an open entry (set and removed) the due entry
	// already stood for, and a tombstone for the report.
	// Before: the record written whole three times.
	// Before: 10, with the due key (its deadline, which also listed it as
	// open) set at acceptance and removed by SingleDelete when it turned
	// final. It is final within Options.DueDelay of its acceptance, so the
	// due window never writes either (the clock here stands still; the
	// window's watermark, a meta key, is written at most once a DueDelay,
	// for all the messages of that time).
	want := entryCounter{
		"01 set":       1, // the record, accepted
		"01 merge":     2, // its deltas: sent, delivered
		"02 set":       1, // client reference
		"03 set":       1, // receipt index
		"07 set":       1, // the report
		"07 singledel": 1, // its acknowledgement, no tombstone
		"0a set":       1, // recipient index
		"0b set":       1, // customer index
	}
	t.Logf("%d entries per message, besides the shared counters:\n%v", n, got)
	if !maps.Equal(got, want) {
		t.Errorf("entries per message:\n%v\nwant\n%v", got, want)
	}
	// The deltas are a state's worth: both cost less than the record once
	// (written whole, each was the record again).
	t.Logf("record bytes: %d accepted, %d in all; by table %v", accepted, bytes["01"], bytes)
	if deltas := bytes["01"] - accepted; deltas >= accepted {
		t.Errorf("the record's deltas took %d bytes, the record %d", deltas, accepted)
	}
}

// A receipt that overtakes its submit answer into the same commit costs
// no entry: it is parked and taken by the answer within the group, so
// neither the parked receipt nor its removal reaches Pebble. In a later
// commit the parked receipt is a set and its removal a SingleDelete (it
// was set once), which leaves no tombstone.
func TestParkedReceiptTakenInOneCommitCostsNothing(t *testing.T) {
	c := newClock()
	s := openTest(t, vfs.NewMem(), c)
	defer s.Close()
	ctx := context.Background()
	ids := []message.ID{mustAccept(t, s, sms("c1", "a")), mustAccept(t, s, sms("c1", "b"))}
	for _, id := range ids {
		toSending(t, s, id)
	}
	counted := entryCounter{}
	s.committing = func(b *pebble.Batch) { counted.count(t, b) }
	rc := Receipt{Carrier: "skt", CarrierMsgID: "A", Delivered: true, Final: true, Result: delivrd}
	sent := func(w *writer, id message.ID, cmid string) error {
		r, err := w.load(id)
		if err != nil {
			return err
		}
		return w.move(r, message.StateSent, func(m *message.Message) { m.CarrierMsgID = cmid })
	}
	// One commit: the receipt, then the answer of its submit.
	if err := s.do(ctx, func(w *writer) error {
		if out, err := w.receipt(rc); err != nil || out != OutcomeParked {
			return fmt.Errorf("receipt: %v %v", out, err)
		}
		return sent(w, ids[0], "A")
	}); err != nil {
		t.Fatal(err)
	}
	if counted["04 set"]+counted["04 delete"] != 0 {
		t.Errorf("parked and taken in one commit:\n%v", counted)
	}
	// Two commits.
	rc.CarrierMsgID = "B"
	if out, err := s.ApplyReceipt(ctx, rc); err != nil || out != OutcomeParked {
		t.Fatalf("receipt: %v %v", out, err)
	}
	if err := s.do(ctx, func(w *writer) error { return sent(w, ids[1], "B") }); err != nil {
		t.Fatal(err)
	}
	if counted["04 set"] != 1 || counted["04 singledel"] != 1 || counted["04 delete"] != 0 {
		t.Errorf("parked and taken in two commits:\n%v", counted)
	}
	for _, id := range ids {
		if m, err := s.Get(id); err != nil || m.State != message.StateDelivered {
			t.Fatalf("message %s: %+v %v", id, m, err)
		}
	}
	mustVerify(t, s)
}
