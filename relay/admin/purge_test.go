package admin

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/settle"
)

// TestPurgeCustomerOnContractEnd is the case of issue 14: POST …/purge
// removed demo's records, zeroed the month's statement and emptied the
// export while demo could still send. Now the purge needs the contract
// ended (suspended, an end date passed, the last statement issued) and
// keeps everything but the personal data.
func TestPurgeCustomerOnContractEnd(t *testing.T) {
	f := newFixture(t)
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	id := f.send("acme", "r-1", "sms", "01012345678", "delivered", at)
	f.send("acme", "r-2", "lms", "01012345678", "failed", at.Add(time.Hour))
	f.now = time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	const purge = "/api/v1/customers/acme/purge"
	if code := f.do("POST", purge, acmeToken, `{"confirm":"acme"}`, nil); code != http.StatusForbidden {
		t.Fatalf("a customer purged itself: %d", code)
	}
	if code := f.do("POST", purge, opToken, `{"confirm":"other"}`, nil); code != http.StatusBadRequest {
		t.Fatalf("purge without the right confirmation: %d", code)
	}
	var before settle.Statement
	f.do("GET", "/api/v1/customers/acme/statements/2026-11", opToken, "", &before)
	var export0 string
	f.do("GET", "/api/v1/customers/acme/export?from=2026-11-01&to=2026-12-01", acmeToken, "", &export0)

	// Refused until the contract has ended, each time saying why.
	refused := func(want string) {
		t.Helper()
		var e struct{ Error string }
		if code := f.do("POST", purge, opToken, `{"confirm":"acme"}`, &e); code != http.StatusConflict || !strings.Contains(e.Error, want) {
			t.Fatalf("purge: %d %q, want 409 naming %q", code, e.Error, want)
		}
	}
	refused("not suspended")
	if code := f.do("POST", "/api/v1/customers/acme/suspend", opToken, `{"reason":"contract ended"}`, nil); code != 200 {
		t.Fatalf("suspend: %d", code)
	}
	refused("no contract end date")
	if code := f.do("POST", "/api/v1/customers/acme/end", opToken, `{"date":"2026-12-31"}`, nil); code != 200 {
		t.Fatalf("end date: %d", code)
	}
	refused("runs until 2026-12-31")
	if code := f.do("POST", "/api/v1/customers/acme/end", opToken, `{"date":"2026-11-30"}`, nil); code != 200 {
		t.Fatalf("end date: %d", code)
	}
	refused("2026-11 is not issued")
	if code := f.do("POST", "/api/v1/customers/acme/statements/2026-11/issue", opToken, `{}`, nil); code != 200 {
		t.Fatalf("issue: %d", code)
	}

	var out struct{ Purged, Open int }
	if code := f.do("POST", purge, opToken, `{"confirm":"acme"}`, &out); code != 200 || out.Purged != 2 || out.Open != 0 {
		t.Fatalf("purge: %d %+v", code, out)
	}
	m, err := f.st.Get(id)
	if err != nil || m.Text != "" || m.Recipient != "" {
		t.Fatalf("message after the purge: %+v %v", m, err)
	}
	if m.ID != id || m.State != message.StateDelivered || m.Product != message.ProductSMS || m.Billed != message.ProductSMS ||
		m.AcceptedAt.IsZero() || m.FinalAt.IsZero() {
		t.Fatalf("the sending record lost what billing needs: %+v", m)
	}
	// The statement, the counts and the export stay true.
	var after settle.Statement
	f.do("GET", "/api/v1/customers/acme/statements/2026-11", opToken, "", &after)
	if after.Total != before.Total || after.Messages != 1 || after.Total == 0 {
		t.Fatalf("statement after the purge: total %d messages %d, before %d", after.Total, after.Messages, before.Total)
	}
	if counts, _ := f.st.MonthCounts("acme", "2026-11"); counts[message.ProductSMS] != 1 {
		t.Fatalf("counts after the purge: %v", counts)
	}
	var export1 string
	f.do("GET", "/api/v1/customers/acme/export?from=2026-11-01&to=2026-12-01", acmeToken, "", &export1)
	if rows := strings.Count(export1, "\n"); rows != 3 || rows != strings.Count(export0, "\n") || strings.Contains(export1, "01012345678") {
		t.Fatalf("export after the purge:\n%s", export1)
	}
	var view CustomerView
	f.do("GET", "/api/v1/customers/acme", opToken, "", &view)
	if view.EndDate != "2026-11-30" || !view.Suspended {
		t.Fatalf("customer: %+v", view)
	}
	got := f.audit.all()
	if last := got[len(got)-1]; last.Action != "customer.purge" || last.Outcome != "ok" || last.Who != "ops" {
		t.Fatalf("audit: %+v", last)
	}
	refusals := 0
	for _, e := range got {
		if e.Action == "customer.purge" && e.Outcome == "refused" {
			refusals++
		}
	}
	if refusals != 4 {
		t.Fatalf("%d refused purges audited, want 4: %s", refusals, fmt.Sprint(got))
	}
}
