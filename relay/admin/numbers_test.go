package admin

import (
	"net/http"
	"strings"
	"testing"
)

// TestSenderNumbersAPI: registering needs the proof document's reference
// and records who and when; another customer's number needs the
// operator's shared mark (audited); the representative number is refused.
func TestSenderNumbersAPI(t *testing.T) {
	f := newFixture(t)
	var e map[string]string
	if code := f.do("POST", "/api/v1/customers/beta/senders", opToken, `{"number":"0311119999"}`, &e); code != http.StatusBadRequest || !strings.Contains(e["error"], "proof") {
		t.Fatalf("no proof: %d %v", code, e)
	}
	if code := f.do("POST", "/api/v1/customers/beta/senders", opToken, `{"number":"02-1234-5678","proof":"KT-1"}`, &e); code != http.StatusConflict || !strings.Contains(e["error"], "acme") {
		t.Fatalf("acme's number for beta: %d %v", code, e)
	}
	if code := f.do("POST", "/api/v1/senders/0212345678/shared", acmeToken, `{"shared":true,"reason":"x"}`, nil); code != http.StatusForbidden {
		t.Fatalf("customer marks shared: %d", code)
	}
	if code := f.do("POST", "/api/v1/senders/0212345678/shared", opToken, `{"shared":true,"reason":"group companies, contract 2026-77"}`, nil); code != http.StatusOK {
		t.Fatalf("mark shared: %d", code)
	}
	var v CustomerView
	if code := f.do("POST", "/api/v1/customers/beta/senders", opToken, `{"number":"02-1234-5678","proof":"KT-2026-0042"}`, &v); code != http.StatusOK {
		t.Fatalf("shared number for beta: %d", code)
	}
	var rec *struct{}
	_ = rec
	found := false
	for _, n := range v.Numbers {
		if n.Number == "0212345678" && n.AddedBy == "ops" && n.Proof == "KT-2026-0042" && n.Shared && n.AddedAt.Equal(testNow) {
			found = true
		}
	}
	if !found {
		t.Fatalf("beta's numbers %+v", v.Numbers)
	}
	// Every refused change is audited: the one without proof, the
	// conflict, and the customer's attempt at the shared mark.
	var audit []string
	for _, a := range f.audit.all() {
		audit = append(audit, a.Action+":"+a.Outcome)
	}
	if got := strings.Join(audit, " "); got != "POST /api/v1/customers/{customer}/senders:refused sender.add:refused POST /api/v1/senders/{number}/shared:refused sender.shared:ok sender.add:ok" {
		t.Fatalf("audit %s", got)
	}
}
