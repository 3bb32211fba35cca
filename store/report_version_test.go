package store

import (
	"encoding/binary"
	"testing"
	"time"

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
