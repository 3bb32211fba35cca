package relay

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
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

// TestEndedCustomerCannotSend: from the day after its contract's end date
// a customer's messages are refused, across a restart too.
func TestEndedCustomerCannotSend(t *testing.T) {
	h := newHarness(t, withAdmin)
	u := h.connect("shop")
	if code, body := h.adminCall("POST", "/api/v1/customers/shop/end", `{"date":"2026-11-26"}`); code != 200 {
		t.Fatalf("end date: %d %s", code, body)
	}
	if r := h.submit(u, sms("", "계약 마지막 날")); r.Status != upstreampb.Status_OK {
		t.Fatalf("on the contract's last day: %v", r)
	}
	h.now.Advance(24 * time.Hour)
	if r := h.submit(u, sms("", "계약 종료 후")); r.Status != upstreampb.Status_CUSTOMER_SUSPENDED || !strings.Contains(r.Reason, "2026-11-26") {
		t.Fatalf("after the contract ended: %v", r)
	}
	u.Close()
	h.restart()
	u = h.connect("shop")
	if r := h.submit(u, sms("", "재시작 후")); r.Status != upstreampb.Status_CUSTOMER_SUSPENDED {
		t.Fatalf("after a restart: %v", r)
	}
}
