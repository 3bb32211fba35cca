package cluster

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// A receipt crosses the stream whole: every field the store reads comes
// out as it went in, zero times staying zero.
func TestWireReceiptRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 123, time.UTC)
	for _, rc := range []store.Receipt{
		{Carrier: "a", CarrierMsgID: "0a1b", Delivered: true, Final: true, Arrived: at,
			Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD", Reason: "DELIVRD err:000"},
			At:     at.Add(-time.Second), Submitted: at.Add(-time.Minute), Done: at, Skew: 2 * time.Minute},
		{Carrier: "b", CarrierMsgID: "77", Arrived: at},
	} {
		b, err := json.Marshal(toWire("n1", &rc))
		if err != nil {
			t.Fatal(err)
		}
		var w wireReceipt
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		got := w.receipt()
		if !got.Arrived.Equal(rc.Arrived) || !got.At.Equal(rc.At) || !got.Submitted.Equal(rc.Submitted) || !got.Done.Equal(rc.Done) {
			t.Errorf("times: got %+v, want %+v", got, rc)
		}
		got.Arrived, got.At, got.Submitted, got.Done = rc.Arrived, rc.At, rc.Submitted, rc.Done
		if got != rc {
			t.Errorf("got %+v\nwant %+v", got, rc)
		}
	}
}

// The stream's dedupe key: a carrier's copy of a receipt has the same, its
// next receipt for the id (other content) or another carrier's does not.
func TestMsgIDByCarrierIDAndContent(t *testing.T) {
	rc := store.Receipt{Carrier: "a", CarrierMsgID: "0a1b"}
	other := rc
	other.Carrier = "b"
	base := msgID(&rc, []byte("id:0a1b stat:ENROUTE"))
	if msgID(&rc, []byte("id:0a1b stat:ENROUTE")) != base {
		t.Error("a copy has another key")
	}
	if msgID(&rc, []byte("id:0a1b stat:DELIVRD")) == base {
		t.Error("a final after an interim has the interim's key")
	}
	if msgID(&other, []byte("id:0a1b stat:ENROUTE")) == base {
		t.Error("another carrier's receipt has the same key")
	}
}
