package store

import (
	"flag"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

var update = flag.Bool("update", false, "rewrite testdata files")

func fullRecord() *rec {
	at := time.Date(2026, 11, 26, 9, 30, 0, 123456789, time.UTC)
	return &rec{Message: message.Message{
		ID: 0x0123456789abcdef, Customer: "cust-1", ClientRef: "ref/한글",
		Product: message.ProductAlimTalk, Sender: "15884954", Recipient: "01012345678",
		Text: "결제가 완료되었습니다", Subject: "제목",
		Kakao: message.Kakao{SenderKey: "sk", TemplateCode: "T01", Buttons: `[{"n":"a"}]`,
			ImageURL: "https://img", Ad: true},
		Fallback: message.FallbackAuto, Truncate: true, State: message.StateKakaoSent,
		Attempts: 300, Leg: 1, Carrier: "kakao", CarrierMsgID: "kk-77",
		AcceptedAt: at, SentAt: at.Add(time.Second), FinalAt: at.Add(time.Hour),
		Result: message.Result{Source: message.SourceKakao, Code: "3018", Reason: "blocked"},
		Billed: message.ProductLMS,
	}, Purged: true}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []*rec{fullRecord(), fullRecordV2(), {}} {
		b := encodeRecord(nil, r)
		var got rec
		if err := decodeRecord(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, *r)
		}
		// Every strict prefix is corrupt, never a panic or a short record.
		for i := range b {
			if err := decodeRecord(b[:i], &got); err == nil {
				t.Fatalf("prefix of %d bytes decoded", i)
			}
		}
	}
}

// TestRecordIngress keeps each ingress beside the other flags; the frozen
// record, written before the ingress was kept, reads as the upstream protocol.
func TestRecordIngress(t *testing.T) {
	for _, in := range []message.Ingress{message.IngressUpstream, message.IngressSMPP, message.IngressHTTP} {
		r := fullRecord()
		r.Ingress = in
		var got rec
		if err := decodeRecord(encodeRecord(nil, r), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, r) {
			t.Fatalf("ingress %v: got %+v", in, got)
		}
	}
}

// TestRecordReceipts keeps the receipts asked for beside the ingress and
// the other flags.
func TestRecordReceipts(t *testing.T) {
	for _, rc := range []message.Receipts{message.ReceiptsAll, message.ReceiptsNone, message.ReceiptsFailures} {
		r := fullRecord()
		r.Ingress, r.Receipts = message.IngressSMPP, rc
		var got rec
		if err := decodeRecord(encodeRecord(nil, r), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, r) {
			t.Fatalf("receipts %v: got %+v", rc, got)
		}
	}
}

// TestRecordFrozenV1 decodes version-1 bytes written by the first release:
// a later release must still read them.
// Version 1 is no longer written, so -update leaves it alone.
func TestRecordFrozenV1(t *testing.T) {
	checkFrozenRecord(t, "testdata/record-v1.bin", fullRecord())
}

// fullRecordV2 is fullRecord with what version 2 added: a deadline and a
// not-before time.
func fullRecordV2() *rec {
	r := fullRecord()
	r.Deadline = r.AcceptedAt.Add(90 * time.Minute)
	r.NotBefore = r.AcceptedAt.Add(time.Hour)
	return r
}

// TestRecordFrozenV2 decodes version-2 bytes, with the deadline and the
// not-before time.
func TestRecordFrozenV2(t *testing.T) {
	const path = "testdata/record-v2.bin"
	if *update {
		if err := os.WriteFile(path, encodeRecord(nil, fullRecordV2()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkFrozenRecord(t, path, fullRecordV2())
}

// checkFrozenRecord decodes the record frozen in path and wants it equal
// to want.
func checkFrozenRecord(t *testing.T, path string, want *rec) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got rec
	if err := decodeRecord(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Fatalf("frozen record %s decodes to %+v", path, got)
	}
}

func TestSideValuesRoundTrip(t *testing.T) {
	rp := Report{ID: 9, ClientRef: "r", State: message.StateDelivered, Billed: message.ProductSMS,
		Result:  message.Result{Source: message.SourceReceipt, Code: "DELIVRD", Reason: "ok"},
		FinalAt: time.Unix(1e9, 5).UTC()}
	var gotR Report
	if err := decodeReport(encodeReport(&rp), &gotR); err != nil || gotR != rp {
		t.Fatalf("report: %+v %v", gotR, err)
	}
	p := parkedReceipt{Receipt: Receipt{Delivered: true, Final: true, At: time.Unix(2e9, 0).UTC(),
		Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}}, ParkedAt: time.Unix(3e9, 0).UTC()}
	var gotP parkedReceipt
	if err := decodeParked(encodeParked(&p), &gotP); err != nil || gotP != p {
		t.Fatalf("parked: %+v %v", gotP, err)
	}
}

// FuzzDecodeRecord: no input panics; whatever decodes re-encodes to the
// same bytes, and the input split in two decodes only if whole.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(nil, fullRecord()))
	f.Add(encodeRecord(nil, &rec{}))
	f.Add([]byte{recordV1})
	f.Add(encodeRecord(nil, fullRecordV2()))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r rec
		if err := decodeRecord(b, &r); err != nil {
			return
		}
		again := encodeRecord(nil, &r)
		var r2 rec
		if err := decodeRecord(again, &r2); err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-encoded record differs: %v", err)
		}
		if len(b) > 1 {
			if err := decodeRecord(b[:len(b)/2], &r2); err == nil {
				t.Fatal("half a record decoded")
			}
		}
	})
}

func FuzzDecodeSideValues(f *testing.F) {
	f.Add(encodeReport(&Report{ClientRef: "x"}))
	f.Add(encodeParked(&parkedReceipt{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var rp Report
		if decodeReport(b, &rp) == nil {
			var again Report
			if err := decodeReport(encodeReport(&rp), &again); err != nil || !reflect.DeepEqual(rp, again) {
				t.Fatalf("report re-encode: %v", err)
			}
		}
		var p parkedReceipt
		if decodeParked(b, &p) == nil {
			var again parkedReceipt
			if err := decodeParked(encodeParked(&p), &again); err != nil || !reflect.DeepEqual(p, again) {
				t.Fatalf("parked re-encode: %v", err)
			}
		}
	})
}

// A parked receipt is encoded into one allocation, sized once, and
// decoded with its two strings in one.
func TestParkedCodecAllocations(t *testing.T) {
	p := parkedReceipt{Receipt: Receipt{Delivered: true, Final: true, At: time.Unix(2e9, 7).UTC(),
		Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD", Reason: "delivered to the handset"}},
		ParkedAt: time.Unix(3e9, 1).UTC(), SentFrom: time.Unix(2e9, 0).UTC(), SentTo: time.Unix(2e9+60, 0).UTC(), Once: true}
	if n := testing.AllocsPerRun(100, func() { encodeParked(&p) }); n != 1 {
		t.Errorf("encodeParked: %v allocations, want 1", n)
	}
	b := encodeParked(&p)
	var got parkedReceipt
	if n := testing.AllocsPerRun(100, func() { _ = decodeParked(b, &got) }); n != 1 {
		t.Errorf("decodeParked: %v allocations, want 1", n)
	}
	got.Carrier, got.CarrierMsgID = p.Carrier, p.CarrierMsgID
	if got != p {
		t.Fatalf("parked: %+v, want %+v", got, p)
	}
}
