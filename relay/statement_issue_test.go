package relay

import (
	"encoding/json"
	"testing"
	"time"
)

// TestIssuedStatementSurvivesPriceChange is the case of issue 14: after
// sms = 9.9 was changed to 20 and the relay restarted, an earlier month's
// statement changed. An issued statement is a record and never changes.
func TestIssuedStatementSurvivesPriceChange(t *testing.T) {
	h := newHarness(t, withAdmin)
	u := h.connect("shop")
	for range 7 {
		h.waitReport(u, h.submit(u, sms("", "정산 테스트")).MessageId)
	}
	u.Close()
	h.now.Advance(10 * 24 * time.Hour) // into December: November is over
	if code, body := h.adminCall("POST", "/api/v1/customers/shop/statements/2026-11/issue", `{}`); code != 200 {
		t.Fatalf("issue: %d %s", code, body)
	}
	h.cfg.Settle.Prices["sms"] = 2000
	h.restart()
	var st struct {
		Status             string
		Version            int
		Supply, VAT, Total int64
	}
	code, body := h.adminCall("GET", "/api/v1/customers/shop/statements/2026-11", "")
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
		t.Fatalf("statement: %d %s", code, body)
	}
	// 7 SMS × 9.90 = 69.30 → supply 69, VAT 6, total 75, as issued.
	if st.Status != "issued" || st.Version != 1 || st.Supply != 69 || st.VAT != 6 || st.Total != 75 {
		t.Fatalf("after the price change and a restart: %s", body)
	}
}
