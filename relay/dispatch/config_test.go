package dispatch

import (
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// TestCarrierNameFitsReceiptKey: the store keys receipts by carrier name;
// a carrier whose name it cannot keep could never take a receipt.
func TestCarrierNameFitsReceiptKey(t *testing.T) {
	cc := CarrierConfig{Name: strings.Repeat("c", message.MaxIndexed), Addr: "sim"}
	cc.SetDefaults()
	if err := cc.Validate(); err != nil {
		t.Fatalf("a %d-byte name: %v", len(cc.Name), err)
	}
	cc.Name += "c"
	if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), "256 bytes") {
		t.Fatalf("a %d-byte name: %v", len(cc.Name), err)
	}
}

// TestReceiptClockSkewBounded: the skew defaults to two minutes and is
// refused outside 0 to 1h; a skew of hours would let a receipt's dates
// match any message the carrier gave its id to that day.
func TestReceiptClockSkewBounded(t *testing.T) {
	cc := CarrierConfig{Name: "c", Addr: "sim"}
	cc.SetDefaults()
	if cc.ReceiptClockSkew != 2*time.Minute || cc.Validate() != nil {
		t.Fatalf("default %v: %v", cc.ReceiptClockSkew, cc.Validate())
	}
	for _, d := range []time.Duration{-time.Second, time.Hour + time.Second} {
		cc.ReceiptClockSkew = d
		if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), "receipt_clock_skew") {
			t.Fatalf("skew %v: %v", d, err)
		}
	}
}
