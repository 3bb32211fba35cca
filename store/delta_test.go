package store

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
)

// deltaSteps change a message's state fields the way its life does, one
// step at a time.
var deltaSteps = []func(m *message.Message){
	func(m *message.Message) { m.State, m.Attempts = message.StateSending, m.Attempts+1 },
	func(m *message.Message) {
		m.State, m.Carrier, m.CarrierMsgID = message.StateSent, "skt", "0A1B"
		m.SentAt = time.Date(2026, 11, 26, 9, 30, 1, 5, time.UTC)
	},
	func(m *message.Message) { m.Leg, m.Billed, m.SentAt = 2, message.ProductSMS, time.Time{} },
	func(m *message.Message) {
		m.State, m.FinalAt = message.StateDelivered, time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
		m.Result = message.Result{Source: message.SourceReceipt, Code: "DELIVRD", Reason: "전달됨"}
	},
	func(m *message.Message) {
		m.Carrier, m.CarrierMsgID, m.Result.Reason, m.FinalAt = "", "", "", time.Time{}
	},
}

// appendSteps appends a delta for each step to the encoding of r and
// returns it with the message it stands for.
func appendSteps(t *testing.T, b []byte, r *rec) ([]byte, *rec) {
	t.Helper()
	want := *r
	for i, step := range deltaSteps {
		was := want.Message
		step(&want.Message)
		if !stateOnly(&was, &want.Message) {
			t.Fatalf("step %d changes more than state", i)
		}
		mask := deltaMask(&was, &want.Message)
		if mask == 0 {
			t.Fatalf("step %d changes nothing", i)
		}
		b = appendDelta(b, mask, &want.Message)
		var got rec
		if err := decodeRecord(b, &got); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if !reflect.DeepEqual(&got, &want) {
			t.Fatalf("step %d:\n got %+v\nwant %+v", i, got.Message, want.Message)
		}
	}
	return b, &want
}

// TestRecordDeltas appends state deltas to records of every version: each
// decodes to the message of its last step, and every cut inside a delta
// is corrupt.
func TestRecordDeltas(t *testing.T) {
	for _, r := range []*rec{fullRecord(), fullRecordV2(), {}} {
		body := encodeRecord(nil, r)
		b, _ := appendSteps(t, body, r)
		var got rec
		for i := len(body) + 1; i < len(b); i++ {
			one := appendDelta(nil, dState, &r.Message)
			if i < len(body)+len(one) {
				if err := decodeRecord(b[:i], &got); err == nil {
					t.Fatalf("a record cut %d bytes into its first delta decoded", i-len(body))
				}
			}
		}
	}
	for _, path := range []string{"testdata/record-v1.bin", "testdata/record-v2.bin"} {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var r rec
		if err := decodeRecord(body, &r); err != nil {
			t.Fatal(err)
		}
		appendSteps(t, body, &r)
	}
	for _, bad := range [][]byte{{0}, {deltaV1}, {deltaV1, 0x80}, {deltaV1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}, {deltaV1, 0x80, 0x10}} {
		var got rec
		if err := decodeRecord(append(encodeRecord(nil, fullRecordV2()), bad...), &got); err == nil {
			t.Errorf("delta %x decoded", bad)
		}
	}
}

// TestRecordFrozenDeltas decodes a version-2 record with the deltas of
// deltaSteps, as a store holds it once Pebble has merged them.
func TestRecordFrozenDeltas(t *testing.T) {
	const path = "testdata/record-v2-deltas.bin"
	b, want := appendSteps(t, encodeRecord(nil, fullRecordV2()), fullRecordV2())
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkFrozenRecord(t, path, want)
}

func TestOverlayMerge(t *testing.T) {
	var o overlay
	o.merge("a", []byte("body+d1"), 4) // stored before the group
	o.merge("a", []byte("body+d1+d2"), 7)
	if base, ok := o.merged["a"]; !ok || base != 4 {
		t.Fatalf("merged a at %d %v, want 4", base, ok)
	}
	o.set("b", []byte("body"))
	o.merge("b", []byte("body+d1"), 4) // set in this group: stays a set
	if _, ok := o.merged["b"]; ok {
		t.Fatal("a key set in the group became a merge")
	}
	o.set("a", []byte("whole"))
	if _, ok := o.merged["a"]; ok {
		t.Fatal("a key set whole stayed a merge")
	}
	o.merge("c", []byte("body+d1"), 4)
	o.del("c")
	if _, ok := o.merged["c"]; ok {
		t.Fatal("a deleted key stayed a merge")
	}
	if v, found, ok := o.get([]byte("b")); string(v) != "body+d1" || !found || !ok {
		t.Fatalf("get b = %q %v %v", v, found, ok)
	}
}

// TestRecordDeltasInStore walks messages through the store's verbs and
// checks, after every write, that what the store holds (its record and
// deltas, merged by Pebble) is the message the write made, through the
// overlay, after a flush and a compaction, and after a reopen. A write
// that changes more than state (a fallback leg's text), or deltas past
// maxDeltas, write the record whole.
func TestRecordDeltasInStore(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	counted := entryCounter{}
	s.committing = func(b *pebble.Batch) { counted.count(t, b) }
	ctx := context.Background()

	alim := &message.Message{Customer: "c1", ClientRef: "k", Product: message.ProductAlimTalk,
		Recipient: "01012345678", Text: "주문이 접수되었습니다", Fallback: message.FallbackAuto,
		Kakao: message.Kakao{SenderKey: "sk", TemplateCode: "T1"}}
	id := mustAccept(t, s, alim)
	want := map[message.ID]message.Message{}
	// step runs fn on the loaded record and checks that the value the
	// store now reads back decodes to the record fn left.
	step := func(name string, fn func(w *writer, r *rec) error) {
		t.Helper()
		if err := s.do(ctx, func(w *writer) error {
			r, err := w.load(id)
			if err != nil {
				return err
			}
			if err := fn(w, r); err != nil {
				return err
			}
			got, err := w.load(id)
			if err != nil {
				return err
			}
			var whole rec
			if err := decodeRecord(encodeRecord(nil, r), &whole); err != nil {
				return err
			}
			if got.Message != whole.Message || got.Purged != whole.Purged {
				t.Errorf("%s: read back\n%+v\nwant\n%+v", name, got.Message, whole.Message)
			}
			want[id] = whole.Message
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m, err := s.Get(id); err != nil || *m != want[id] {
			t.Fatalf("%s: Get %+v %v", name, m, err)
		}
	}
	moveTo := func(to message.State, mutate func(*message.Message)) func(w *writer, r *rec) error {
		return func(w *writer, r *rec) error { return w.move(r, to, mutate) }
	}
	step("queued", moveTo(message.StateQueued, nil))
	step("kakao-sending", moveTo(message.StateKakaoSending, func(m *message.Message) { m.Attempts++ }))
	if counted["01 merge"] != 2 || counted["01 set"] != 1 {
		t.Fatalf("state moves written as\n%v", counted)
	}
	step("fallback", moveTo(message.StateQueued, func(m *message.Message) {
		m.Leg++
		m.Billed, m.Text = message.ProductLMS, "주문이 접수되었습니다 (LMS)"
		m.Result = message.Result{Source: message.SourceKakao, Code: "3018"}
	}))
	if counted["01 set"] != 2 {
		t.Fatalf("a new text not written whole:\n%v", counted)
	}
	// Retries add a delta each, until the deltas would pass maxDeltas.
	for i := 0; counted["01 set"] == 2; i++ {
		if i > maxDeltas {
			t.Fatal("deltas never written whole")
		}
		step("sending", moveTo(message.StateSending, func(m *message.Message) { m.Attempts++; m.Carrier = "skt" }))
		if i%4 == 0 { // some deltas meet their record in a flush, some later
			if err := s.db.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		step("requeued", moveTo(message.StateQueued, nil))
	}
	step("sending", moveTo(message.StateSending, func(m *message.Message) { m.Attempts++ }))
	step("sent", moveTo(message.StateSent, func(m *message.Message) { m.CarrierMsgID, m.SentAt = "77", c.Now() }))
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "77", Delivered: true, Final: true, Result: delivrd}); err != nil || out != OutcomeApplied {
		t.Fatalf("receipt: %v %v", out, err)
	}
	final, err := s.Get(id)
	if err != nil || final.State != message.StateDelivered || final.Billed != message.ProductLMS || final.Leg != 1 {
		t.Fatalf("delivered: %+v %v", final, err)
	}
	check := func(when string) {
		t.Helper()
		if m, err := s.Get(id); err != nil || *m != *final {
			t.Fatalf("%s: %+v %v, want %+v", when, m, err, final)
		}
		var n int
		for m, err := range s.Export(c.Now().Add(-time.Hour), c.Now().Add(time.Hour)) {
			if err != nil || *m != *final {
				t.Fatalf("%s: export %+v %v", when, m, err)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("%s: exported %d", when, n)
		}
		mustVerify(t, s)
	}
	check("delivered")
	if err := s.db.Compact(ctx, []byte{tMsg}, []byte{tMsg + 1}, false); err != nil {
		t.Fatal(err)
	}
	check("compacted")
	s.Close()
	s = openTest(t, fs, c)
	defer s.Close()
	check("reopened")
}

// encodeRecordV1 is the encoding the first release wrote: version 2's
// without the deadline and not-before times.
func encodeRecordV1(r *rec) []byte {
	c := *r
	c.Deadline, c.NotBefore = time.Time{}, time.Time{}
	b := encodeRecord(nil, &c)
	d := decoder{b: b[1+8+7:]}
	d.uvarint()
	d.time()
	d.time()
	d.time()
	at := len(b) - len(d.b) // the two zero times, a byte each
	return append(append([]byte{recordV1}, b[1:at]...), b[at+2:]...)
}

// TestEarlierRecordsTakeDeltas: the records a store written by earlier
// releases holds (whole, of version 1 or 2) take deltas after an upgrade,
// and read back as the same messages.
func TestEarlierRecordsTakeDeltas(t *testing.T) {
	c := newClock()
	fs := vfs.NewMem()
	s := openTest(t, fs, c)
	ctx := context.Background()
	v1, v2 := mustAccept(t, s, sms("c1", "v1")), mustAccept(t, s, sms("c1", "v2"))
	// As the earlier release left them: v1 lacks the deadline, which is
	// then acceptance + Options.Validity, as prepare set it.
	m, err := s.Get(v1)
	if err != nil {
		t.Fatal(err)
	}
	old := encodeRecordV1(&rec{Message: *m})
	var back rec
	if err := decodeRecord(old, &back); err != nil || back.Deadline != (time.Time{}) || s.Deadline(&back.Message) != m.Deadline {
		t.Fatalf("version 1 record: %+v %v", back, err)
	}
	if err := s.db.Set(msgKey(v1), old, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, fs, c)
	defer s.Close()
	counted := entryCounter{}
	s.committing = func(b *pebble.Batch) { counted.count(t, b) }
	for i, id := range []message.ID{v1, v2} {
		cmid := fmt.Sprint("m", i)
		if err := s.Advance(ctx, id, message.StateAccepted,
			[]message.State{message.StateQueued, message.StateSending, message.StateSent},
			func(m *message.Message) { m.Carrier, m.CarrierMsgID, m.SentAt = "skt", cmid, c.Now() }); err != nil {
			t.Fatal(err)
		}
		if out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: cmid, Delivered: true, Final: true, Result: delivrd}); err != nil || out != OutcomeApplied {
			t.Fatalf("receipt: %v %v", out, err)
		}
	}
	if counted["01 set"] != 0 || counted["01 merge"] != 4 {
		t.Errorf("earlier records written as\n%v", counted)
	}
	for _, id := range []message.ID{v1, v2} {
		m, err := s.Get(id)
		if err != nil || m.State != message.StateDelivered || m.CarrierMsgID == "" || m.Billed != message.ProductSMS {
			t.Fatalf("message %s: %+v %v", id, m, err)
		}
	}
	mustVerify(t, s)
}
