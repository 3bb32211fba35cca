package store

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// A report written by the first release (version 1, without product and
// times) still decodes; a version 2 report round-trips every field.
func TestReportVersions(t *testing.T) {
	final := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	v1 := []byte{reportV1}
	v1 = binary.BigEndian.AppendUint64(v1, 42)
	v1 = append(v1, byte(message.StateDelivered), byte(message.ProductSMS), byte(message.SourceReceipt))
	v1 = appendTime(v1, final)
	v1 = appendField(v1, "ref-1")
	v1 = appendField(v1, "DELIVRD")
	v1 = appendField(v1, "ok")
	var old Report
	if err := decodeReport(v1, &old); err != nil {
		t.Fatal(err)
	}
	if old.ID != 42 || old.ClientRef != "ref-1" || !old.FinalAt.Equal(final) || old.Product != 0 || !old.SentAt.IsZero() {
		t.Fatalf("v1 decoded as %+v", old)
	}

	rp := Report{ID: 7, ClientRef: "r", State: message.StateFailed, FinalAt: final,
		Result:  message.Result{Source: message.SourceKakao, Code: "3018", Reason: "blocked"},
		Product: message.ProductAlimTalk, AcceptedAt: final.Add(-time.Minute), SentAt: final.Add(-time.Second)}
	var got Report
	if err := decodeReport(encodeReport(&rp), &got); err != nil {
		t.Fatal(err)
	}
	if got.Product != rp.Product || !got.AcceptedAt.Equal(rp.AcceptedAt) || !got.SentAt.Equal(rp.SentAt) ||
		got.Result != rp.Result || got.ClientRef != rp.ClientRef {
		t.Fatalf("v2 round trip: %+v, want %+v", got, rp)
	}
	if err := decodeReport(append(encodeReport(&rp), 0), &got); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

// A version 3 report keeps the ingress; one of version 2, read by
// Reports, takes it from the message record.
func TestReportIngress(t *testing.T) {
	rp := Report{ID: 7, State: message.StateDelivered, Ingress: message.IngressHTTP}
	var got Report
	if err := decodeReport(encodeReport(&rp), &got); err != nil || got.Ingress != message.IngressHTTP {
		t.Fatalf("v3 round trip: %+v %v", got, err)
	}

	s := openTest(t, nil, newClock())
	defer s.Close()
	ctx := context.Background()
	m := sms("c", "r1")
	m.Ingress = message.IngressSMPP
	id := mustAccept(t, s, m)
	toSent(t, s, id, "c1", time.Now())
	if _, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "c1", Final: true, Delivered: true,
		At: time.Now(), Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}}); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Reports("c", 0, 10)
	if err != nil || len(rs) != 1 || rs[0].Ingress != message.IngressSMPP {
		t.Fatalf("reports %+v %v", rs, err)
	}
	// Rewrite it as the release before wrote it: version 2, no ingress.
	v2 := encodeReport(&rs[0])
	v2 = v2[:len(v2)-1]
	v2[0] = reportV2
	if err := s.db.Set(outboxKey("c", rs[0].Seq), v2, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	rs, err = s.Reports("c", 0, 10)
	if err != nil || len(rs) != 1 || rs[0].Ingress != message.IngressSMPP {
		t.Fatalf("v2 report read as %+v %v", rs, err)
	}
}
