package dispatch

import (
	"strings"
	"testing"

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
