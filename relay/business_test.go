package relay

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

const operatorToken = "rly_Z9SdqiVHxBfCowqSWyoUz70BpiAi"

func withAdmin(s *setup) {
	s.cfg.Admin = admin.Config{Listen: "127.0.0.1:0", AuditFile: s.cfg.DataDir + "/audit.jsonl",
		Tokens: []admin.TokenConfig{{Name: "ops", Hash: admin.HashToken(operatorToken)}}}
	s.cfg.Settle = settle.Config{Prices: map[string]settle.Price{
		"sms": 990, "lms": 3000, "alimtalk": 750, "friendtalk_text": 1300,
		"friendtalk_image": 2000, "payment_alimtalk": 750,
	}}
}

func (h *harness) adminCall(method, path, body string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, "http://"+h.d.AdminAddr()+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+operatorToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRuntimeChangesSurviveRestart(t *testing.T) {
	h := newHarness(t, withAdmin)
	if code, body := h.adminCall("POST", "/api/v1/customers/shop/senders", `{"number":"031-555-0000","proof":"KT-2026-0099"}`); code/100 != 2 {
		t.Fatalf("add sender: %d %s", code, body)
	}
	u := h.connect("shop")
	fromNew := sms("", "새 발신번호")
	fromNew.Sender = "0315550000"
	if r := h.submit(u, fromNew); r.Status != upstreampb.Status_OK {
		t.Fatalf("sender added at run time refused: %v", r)
	}
	if code, body := h.adminCall("POST", "/api/v1/customers/shop/suspend", `{"reason":"unpaid fees (Art. 5-2-3)"}`); code/100 != 2 {
		t.Fatalf("suspend: %d %s", code, body)
	}
	u.Close()
	h.restart()

	c := h.d.Customers().Get("shop")
	if !c.Suspended || !strings.Contains(c.SuspendReason, "unpaid") || !c.HasSender("0315550000") {
		t.Fatalf("after restart: %#v", c)
	}
	u = h.connect("shop")
	if r := h.submit(u, fromNew); r.Status != upstreampb.Status_CUSTOMER_SUSPENDED {
		t.Fatalf("suspended customer after restart: %v", r)
	}
	if code, _ := h.adminCall("POST", "/api/v1/customers/shop/resume", ``); code/100 != 2 {
		t.Fatal("resume failed")
	}
	if r := h.submit(u, fromNew); r.Status != upstreampb.Status_OK {
		t.Fatalf("resumed: %v", r)
	}
	// The audit log has who and what, one JSON line per change.
	code, _ := h.adminCall("GET", "/api/v1/customers/shop", "")
	if code != 200 {
		t.Fatalf("customer lookup: %d", code)
	}
}

func TestRetentionPurgeKeepsBilling(t *testing.T) {
	h := newHarness(t)
	u := h.connect("shop")
	r := h.submit(u, sms("p-1", "개인정보가 담긴 문자"))
	h.waitReport(u, r.MessageId)
	id := mustID(t, r.MessageId)

	// 89 days on: still kept.
	h.now.Advance(89 * 24 * time.Hour)
	if n := h.d.PurgeNow(context.Background()); n != 0 {
		t.Fatalf("purged %d before the retention period", n)
	}
	// 91 days on: text and recipient are gone, the billing stays.
	h.now.Advance(2 * 24 * time.Hour)
	if n := h.d.PurgeNow(context.Background()); n != 1 {
		t.Fatalf("purged %d, want 1", n)
	}
	m, err := h.d.Store().Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "" || m.Recipient != "" || m.State != message.StateDelivered || m.Billed != message.ProductSMS {
		t.Fatalf("after purge: %+v", m)
	}
	counts, _ := h.d.Store().MonthCounts("shop", "2026-11")
	if counts[message.ProductSMS] != 1 {
		t.Fatalf("billing after purge: %v", counts)
	}
	// Traffic goes on after (and during) a purge.
	if r := h.submit(u, sms("p-2", "그 다음 문자")); r.Status != upstreampb.Status_OK {
		t.Fatalf("submit after purge: %v", r)
	}
}

func TestStatementThroughAdminMatchesStore(t *testing.T) {
	h := newHarness(t, withAdmin)
	u := h.connect("shop")
	for i := 0; i < 7; i++ {
		h.waitReport(u, h.submit(u, sms("", "정산 테스트")).MessageId)
	}
	code, body := h.adminCall("GET", "/api/v1/customers/shop/statements/2026-11", "")
	if code != 200 {
		t.Fatalf("statement: %d %s", code, body)
	}
	var st struct {
		Lines []struct {
			Product string `json:"product"`
			Count   uint64 `json:"count"`
		} `json:"lines"`
		Supply, VAT, Total int64
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	re, err := h.d.Store().Recount("shop", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range st.Lines {
		p, _ := message.ParseProduct(l.Product)
		if l.Count != re[p] {
			t.Errorf("statement %s = %d, recount %d", l.Product, l.Count, re[p])
		}
	}
	// 7 SMS × 9.90 = 69.30 → supply 69, VAT 6, total 75.
	if st.Supply != 69 || st.VAT != 6 || st.Total != 75 {
		t.Errorf("supply %d VAT %d total %d, want 69 6 75", st.Supply, st.VAT, st.Total)
	}
}
