package admin

import (
	"net/http"
	"testing"
	"time"
)

func TestPurgeCustomerOnContractEnd(t *testing.T) {
	f := newFixture(t)
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	id := f.send("acme", "r-1", "sms", "01012345678", "delivered", at)
	if code := f.do("POST", "/api/v1/customers/acme/purge", acmeToken, `{"confirm":"acme"}`, nil); code != http.StatusForbidden {
		t.Fatalf("a customer purged itself: %d", code)
	}
	if code := f.do("POST", "/api/v1/customers/acme/purge", opToken, `{"confirm":"other"}`, nil); code != http.StatusBadRequest {
		t.Fatalf("purge without the right confirmation: %d", code)
	}
	var out struct{ Purged int }
	if code := f.do("POST", "/api/v1/customers/acme/purge", opToken, `{"confirm":"acme"}`, &out); code != 200 || out.Purged != 1 {
		t.Fatalf("purge: %d %+v", code, out)
	}
	if m, err := f.st.Get(id); err == nil && (m.Text != "" || m.Recipient != "") {
		t.Fatalf("message still holds personal data: %+v", m)
	}
	if _, err := f.st.ByClientRef("acme", "r-1"); err == nil {
		t.Fatal("the client reference index survived the purge")
	}
	got := f.audit.all()
	if last := got[len(got)-1]; last.Action != "customer.purge" || last.Outcome != "ok" || last.Who != "ops" {
		t.Fatalf("audit: %+v", last)
	}
}
