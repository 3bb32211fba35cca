package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/settle"
)

func TestStatementIssueAndReissue(t *testing.T) {
	f := newFixture(t)
	f.send("acme", "s1", "sms", "01011112222", "delivered", testNow.Add(-time.Hour))
	f.send("acme", "s2", "sms", "01011112222", "delivered", testNow.Add(-time.Minute))
	f.now = testNow
	const path = "/api/v1/customers/acme/statements/2026-11"
	var st settle.Statement
	if code := f.do("GET", path, acmeToken, "", &st); code != 200 || st.Status != settle.StatusPreview ||
		st.BillingDate != "2026-12-14" || st.DueDate == "" || st.Messages != 2 {
		t.Fatalf("preview: %d %+v", code, st)
	}
	var e struct{ Error string }
	if code := f.do("POST", path+"/issue", opToken, `{}`, &e); code != 409 {
		t.Fatalf("issued a month that is not over: %d %s", code, e.Error)
	}
	f.now = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	if code := f.do("POST", path+"/issue", acmeToken, `{}`, nil); code != 403 {
		t.Fatalf("a customer issued its own statement: %d", code)
	}
	if code := f.do("POST", path+"/issue", opToken, `{}`, &st); code != 200 || st.Status != settle.StatusIssued || st.Version != 1 || st.IssuedBy != "ops" {
		t.Fatalf("issue: %d %+v", code, st)
	}
	if code := f.do("POST", path+"/issue", opToken, `{}`, &e); code != 409 {
		t.Fatalf("issued twice: %d", code)
	}
	if code := f.do("POST", path+"/issue", opToken, `{"reissue": true}`, nil); code != 400 {
		t.Fatalf("reissue without a reason: %d", code)
	}
	f.now = f.now.Add(time.Hour)
	if code := f.do("POST", path+"/issue", opToken, `{"reissue": true, "reason": "wrong contract price"}`, &st); code != 200 || st.Version != 2 {
		t.Fatalf("reissue: %d %+v", code, st)
	}
	// Both versions are kept; the latest answers by default.
	var v1, v2 settle.Statement
	f.do("GET", path, acmeToken, "", &v2)
	f.do("GET", path+"?version=1", acmeToken, "", &v1)
	if v2.Version != 2 || v2.Reason != "wrong contract price" || v1.Version != 1 || v1.Reason != "" ||
		v1.Total != v2.Total || v1.IssuedAt.Equal(*v2.IssuedAt) {
		t.Fatalf("versions: %+v / %+v", v1, v2)
	}
	if code := f.do("GET", path+"?version=3", acmeToken, "", nil); code != 400 {
		t.Fatalf("a version that does not exist: %d", code)
	}
	var actions []string
	for _, en := range f.audit.all() {
		actions = append(actions, en.Action+":"+en.Outcome)
	}
	// Every refused change is audited, the customer's 403 and the 400 too.
	const byRoute = "POST /api/v1/customers/{customer}/statements/{month}/issue"
	want := []string{"statement.issue:refused", byRoute + ":refused", "statement.issue:ok", "statement.issue:refused",
		byRoute + ":refused", "statement.reissue:ok"}
	if len(actions) != len(want) {
		t.Fatalf("audit %q, want %q", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit %q, want %q", actions, want)
		}
	}
}

// TestStatementWaitsForEveryNode: in a cluster a month's statement is
// issued only once every node reported its final counters; the refusal
// names the nodes missing, and nothing is issued.
func TestStatementWaitsForEveryNode(t *testing.T) {
	missing := "n3"
	f := newFixture(t, func(o *Options) {
		o.Issuable = func(_ context.Context, month string) error {
			if missing == "" {
				return nil
			}
			return fmt.Errorf("%s: node %s has not reported its final counters", month, missing)
		}
	})
	f.send("acme", "s1", "sms", "01011112222", "delivered", testNow.Add(-time.Hour))
	f.now = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	const path = "/api/v1/customers/acme/statements/2026-11"
	var e struct{ Error string }
	if code := f.do("POST", path+"/issue", opToken, `{}`, &e); code != 409 || !strings.Contains(e.Error, "node n3") {
		t.Fatalf("issued without node n3's final counters: %d %q", code, e.Error)
	}
	var st settle.Statement
	if code := f.do("GET", path, acmeToken, "", &st); code != 200 || st.Status != settle.StatusPreview {
		t.Fatalf("after the refusal: %d %+v, want a preview", code, st)
	}
	missing = ""
	if code := f.do("POST", path+"/issue", opToken, `{}`, &st); code != 200 || st.Version != 1 {
		t.Fatalf("issue once every node reported: %d %+v", code, st)
	}
}
