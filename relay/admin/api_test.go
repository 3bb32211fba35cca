package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

type listResp struct {
	Messages []MessageView `json:"messages"`
	Count    int           `json:"count"`
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "wrong-token-0123456789", opToken + "x"} {
		if code := f.do("GET", "/api/v1/customers/acme", tok, "", nil); code != http.StatusUnauthorized {
			t.Errorf("token %q: %d", tok, code)
		}
	}
	if code := f.do("GET", "/api/v1/customers/acme", opToken, "", nil); code != http.StatusOK {
		t.Errorf("operator: %d", code)
	}
}

func TestCustomerScoping(t *testing.T) {
	f := newFixture(t)
	at := testNow.Add(-time.Hour)
	a := f.send("acme", "a-1", "sms", "01012345678", "delivered", at)
	b := f.send("beta", "b-1", "sms", "01012345678", "delivered", at)

	var v MessageView
	if code := f.do("GET", "/api/v1/messages/"+a.String(), acmeToken, "", &v); code != 200 || v.Customer != "acme" {
		t.Fatalf("own message: %d %+v", code, v)
	}
	if v.Recipient != "01012345678" || v.Text != "hello a-1" || v.State != "delivered" || v.Result == nil || v.FinalAt == nil {
		t.Fatalf("customer view: %+v", v)
	}
	// Another customer's message does not exist for acme, by any route.
	if code := f.do("GET", "/api/v1/messages/"+b.String(), acmeToken, "", nil); code != http.StatusNotFound {
		t.Fatalf("other customer's message by id: %d", code)
	}
	for _, q := range []string{
		"?customer=beta&client_ref=b-1",
		"?customer=beta&recipient=01012345678&from=2026-11-01&to=2026-11-30",
		"?customer=beta&from=2026-11-01&to=2026-11-30",
	} {
		if code := f.do("GET", "/api/v1/messages"+q, acmeToken, "", nil); code != http.StatusForbidden {
			t.Errorf("%s: %d", q, code)
		}
	}
	// Without a customer, a customer token searches its own only.
	var l listResp
	if code := f.do("GET", "/api/v1/messages?recipient=010-1234-5678&from=2026-11-01&to=2026-11-30", acmeToken, "", &l); code != 200 || l.Count != 1 || l.Messages[0].ID != a.String() {
		t.Fatalf("own search: %d %+v", code, l)
	}
	for _, p := range []string{"/api/v1/customers/beta", "/api/v1/customers/beta/statements/2026-11",
		"/api/v1/customers/beta/export", "/api/v1/payments?customer=beta"} {
		if code := f.do("GET", p, acmeToken, "", nil); code != http.StatusForbidden {
			t.Errorf("%s: %d", p, code)
		}
	}
	// beta cannot see acme's MID.
	if code := f.do("GET", "/api/v1/payments/acme001", betaToken, "", nil); code != http.StatusNotFound {
		t.Errorf("beta sees acme's MID: %d", code)
	}
	var subs struct {
		Subscriptions []map[string]any `json:"subscriptions"`
	}
	if code := f.do("GET", "/api/v1/payments", betaToken, "", &subs); code != 200 || len(subs.Subscriptions) != 0 {
		t.Errorf("beta's payments: %d %v", code, subs)
	}
	// The export of acme holds no beta record.
	var csv string
	if code := f.do("GET", "/api/v1/customers/acme/export?from=2026-11-01&to=2026-11-30", acmeToken, "", &csv); code != 200 ||
		!strings.Contains(csv, a.String()) || strings.Contains(csv, b.String()) {
		t.Fatalf("export: %d\n%s", code, csv)
	}
	// The operator sees both, recipients masked, no text.
	v = MessageView{}
	if code := f.do("GET", "/api/v1/messages/"+b.String(), opToken, "", &v); code != 200 || v.Recipient != "010****5678" || v.Text != "" {
		t.Fatalf("operator view: %d %+v", code, v)
	}
}

func TestLookups(t *testing.T) {
	f := newFixture(t)
	day := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC) // 12:00 KST
	f.send("acme", "d", "sms", "01011112222", "delivered", day)
	f.send("acme", "x", "lms", "01011112222", "failed", day.Add(time.Hour))
	f.send("acme", "p", "sms", "01011112222", "", day.Add(2*time.Hour))
	f.send("acme", "o", "sms", "01099998888", "delivered", day.Add(3*time.Hour))
	f.send("acme", "late", "sms", "01011112222", "delivered", day.AddDate(0, 0, 2))

	var m MessageView
	if code := f.do("GET", "/api/v1/messages?client_ref=x", acmeToken, "", &listResp{}); code != 200 {
		t.Fatalf("by ref: %d", code)
	}
	var l listResp
	f.do("GET", "/api/v1/messages?client_ref=x", acmeToken, "", &l)
	if l.Count != 1 || l.Messages[0].State != "failed" || l.Messages[0].Result.Reason != "handset off" {
		t.Fatalf("by ref: %+v", l)
	}
	f.do("GET", "/api/v1/messages?client_ref=nope", acmeToken, "", &l)
	if l.Count != 0 {
		t.Fatalf("unknown ref: %+v", l)
	}
	q := func(query string) []string {
		t.Helper()
		var l listResp
		if code := f.do("GET", "/api/v1/messages?"+query, acmeToken, "", &l); code != 200 {
			t.Fatalf("%s: %d", query, code)
		}
		var out []string
		for _, v := range l.Messages {
			out = append(out, v.ClientRef+":"+v.State)
		}
		return out
	}
	// Newest first.
	eq := func(got []string, want string) {
		t.Helper()
		if strings.Join(got, " ") != want {
			t.Errorf("got %q, want %q", strings.Join(got, " "), want)
		}
	}
	eq(q("recipient=01011112222&from=2026-11-20&to=2026-11-20"), "p:sent x:failed d:delivered")
	eq(q("recipient=01011112222&from=2026-11-20&to=2026-11-22"), "late:delivered p:sent x:failed d:delivered")
	eq(q("recipient=01011112222&from=2026-11-20&to=2026-11-22&state=delivered"), "late:delivered d:delivered")
	eq(q("from=2026-11-20&to=2026-11-20"), "o:delivered p:sent x:failed d:delivered")
	eq(q("from=2026-11-20&to=2026-11-20&limit=2"), "o:delivered p:sent")
	eq(q("from=2026-11-20T03:30:00Z&to=2026-11-20T05:30:00Z"), "p:sent x:failed")
	for _, bad := range []string{"from=yesterday", "state=gone", "limit=-1", "from=2026-11-22&to=2026-11-20"} {
		if code := f.do("GET", "/api/v1/messages?"+bad, acmeToken, "", nil); code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, code)
		}
	}
	if code := f.do("GET", "/api/v1/messages/zz", acmeToken, "", &m); code != http.StatusBadRequest {
		t.Errorf("bad id: %d", code)
	}
	if code := f.do("GET", "/api/v1/messages?from=2026-11-20", opToken, "", nil); code != http.StatusBadRequest {
		t.Errorf("operator without customer: %d", code)
	}
}

func TestSuspendResume(t *testing.T) {
	f := newFixture(t)
	// Customers cannot suspend themselves or others.
	if code := f.do("POST", "/api/v1/customers/acme/suspend", acmeToken, `{"reason":"x"}`, nil); code != http.StatusForbidden {
		t.Fatalf("customer suspends: %d", code)
	}
	if code := f.do("POST", "/api/v1/customers/acme/suspend", opToken, `{}`, nil); code != http.StatusBadRequest {
		t.Fatalf("no reason: %d", code)
	}
	var v CustomerView
	if code := f.do("POST", "/api/v1/customers/acme/suspend", opToken, `{"reason":"unpaid fees (Art. 5-2-3)"}`, &v); code != 200 || !v.Suspended {
		t.Fatalf("suspend: %d %+v", code, v)
	}
	if c := f.reg.Get("acme"); !c.Suspended || c.SuspendReason != "unpaid fees (Art. 5-2-3)" {
		t.Fatalf("registry: %+v", c)
	}
	if code := f.do("POST", "/api/v1/customers/acme/resume", opToken, ``, &v); code != 200 || v.Suspended {
		t.Fatalf("resume: %d %+v", code, v)
	}
	if f.reg.Get("acme").Suspended {
		t.Fatal("still suspended")
	}
	if code := f.do("POST", "/api/v1/customers/nobody/resume", opToken, ``, nil); code != http.StatusNotFound {
		t.Fatalf("unknown customer: %d", code)
	}
	// Every attempt is audited, refused ones too, whoever's token it was.
	got := f.audit.all()
	if len(got) != 5 || got[0].Who != "acme-admin" || got[0].Outcome != "refused" || got[1].Who != "ops" || got[1].Outcome != "refused" ||
		got[2].Action != "customer.suspend" || got[2].Who != "ops" || got[2].Target != "acme" ||
		got[2].Outcome != "ok" || got[2].At.IsZero() || got[3].Action != "customer.resume" || got[4].Outcome != "refused" {
		t.Fatalf("audit: %+v", got)
	}
	if strings.Join(*f.persist, ",") != "suspend:acme,resume:acme" {
		t.Fatalf("persisted: %v", *f.persist)
	}
}

func TestSenderLimit(t *testing.T) {
	f := newFixture(t) // acme starts with 1 sender
	for i := 1; i < 10; i++ {
		body := fmt.Sprintf(`{"number":"02-5555-%04d","proof":"doc-%d"}`, i, i)
		if code := f.do("POST", "/api/v1/customers/acme/senders", opToken, body, nil); code != 200 {
			t.Fatalf("sender %d: %d", i+1, code)
		}
	}
	if n := len(f.reg.Get("acme").Senders); n != 10 {
		t.Fatalf("%d senders", n)
	}
	var e map[string]string
	if code := f.do("POST", "/api/v1/customers/acme/senders", opToken, `{"number":"0255559999","proof":"doc-x"}`, &e); code != http.StatusConflict || !strings.Contains(e["error"], "at most 10") {
		t.Fatalf("11th sender: %d %v", code, e)
	}
	if code := f.do("POST", "/api/v1/customers/acme/senders", acmeToken, `{"number":"0255558888","proof":"doc-y"}`, nil); code != http.StatusForbidden {
		t.Fatalf("customer adds sender: %d", code)
	}
	// Effective at once: the registry's next snapshot has it, the removed one is gone.
	if code := f.do("DELETE", "/api/v1/customers/acme/senders/0255550003", opToken, "", nil); code != 200 {
		t.Fatalf("remove: %d", code)
	}
	c := f.reg.Get("acme")
	if c.HasSender("0255550003") || !c.HasSender("02-5555-0004") || len(c.Senders) != 9 {
		t.Fatalf("senders now %v", c.Senders)
	}
	if code := f.do("DELETE", "/api/v1/customers/acme/senders/0255550003", opToken, "", nil); code != http.StatusNotFound {
		t.Fatalf("remove twice: %d", code)
	}
	a := f.audit.all()
	last := a[len(a)-1]
	if len(a) != 13 || last.Action != "sender.remove" || last.Outcome != "refused" || a[9].Error == "" || a[10].Who != "acme-admin" {
		t.Fatalf("audit: %d entries, last %+v", len(a), last)
	}
	if len(*f.persist) != 10 {
		t.Fatalf("persisted %d changes: %v", len(*f.persist), *f.persist)
	}
}

func TestRecipientLimit(t *testing.T) {
	f := newFixture(t)
	for i := 1; i < 20; i++ {
		body := fmt.Sprintf(`{"number":"010-2222-%04d"}`, i)
		if code := f.do("POST", "/api/v1/payments/acme001/recipients", acmeToken, body, nil); code != 200 {
			t.Fatalf("recipient %d: %d", i+1, code)
		}
	}
	var e map[string]string
	if code := f.do("POST", "/api/v1/payments/acme001/recipients", acmeToken, `{"number":"01033334444"}`, &e); code != http.StatusConflict || !strings.Contains(e["error"], "at most 20") {
		t.Fatalf("21st: %d %v", code, e)
	}
	if n := len(f.pay.Get("acme001").Merchant.Recipients); n != 20 {
		t.Fatalf("%d recipients", n)
	}
	if code := f.do("POST", "/api/v1/payments/acme001/recipients", betaToken, `{"number":"01033334444"}`, nil); code != http.StatusNotFound {
		t.Fatalf("beta adds to acme: %d", code)
	}
	if code := f.do("DELETE", "/api/v1/payments/acme001/recipients/010-2222-0005", acmeToken, "", nil); code != 200 {
		t.Fatalf("remove: %d", code)
	}
	// The subscription rule holds through the API.
	bad := `{"mid":"acme001","customer":"acme","sender_key":"k","buyer":{"events":["cancellation"]},
	  "templates":[{"audience":"buyer","event":"cancellation","code":"C","text":"x"}]}`
	if code := f.do("PUT", "/api/v1/payments/acme001", opToken, bad, &e); code != http.StatusBadRequest || !strings.Contains(e["error"], "buyer cancellation requires buyer approval") {
		t.Fatalf("bad put: %d %v", code, e)
	}
	if code := f.do("PUT", "/api/v1/payments/acme001", acmeToken, bad, nil); code != http.StatusForbidden {
		t.Fatalf("customer put: %d", code)
	}
	a := f.audit.all()
	if len(a) != 24 || a[19].Outcome != "refused" || a[19].Scope != "customer:acme" || a[20].Scope != "customer:beta" ||
		a[22].Action != "payment.put" || a[23].Outcome != "refused" || a[23].Who != "acme-admin" {
		t.Fatalf("audit: %d %+v", len(a), a[len(a)-1])
	}
}

func TestStatementAPI(t *testing.T) {
	f := newFixture(t)
	at := time.Date(2026, 11, 10, 1, 0, 0, 0, time.UTC)
	for i := range 3 {
		f.send("acme", fmt.Sprintf("s%d", i), "sms", "01011112222", "delivered", at)
	}
	f.send("acme", "l", "lms", "01011112222", "delivered", at)
	f.send("acme", "f", "lms", "01011112222", "failed", at)
	var st struct {
		Supply, VAT, Total int64
		BillingDate        string `json:"billing_date"`
		Lines              []struct{ Count uint64 }
	}
	if code := f.do("GET", "/api/v1/customers/acme/statements/2026-11", acmeToken, "", &st); code != 200 {
		t.Fatalf("statement: %d", code)
	}
	// 3 × 9.90 + 1 × 29.00 = 58.70 → supply 58, VAT 5, total 63.
	if st.Supply != 58 || st.VAT != 5 || st.Total != 63 || st.Lines[0].Count != 3 || st.Lines[1].Count != 1 || st.BillingDate != "2026-12-14" {
		t.Fatalf("statement: %+v", st)
	}
	var csv string
	if code := f.do("GET", "/api/v1/customers/acme/statements/2026-11?format=csv", opToken, "", &csv); code != 200 || !strings.HasPrefix(csv, "\ufeff") || !strings.Contains(csv, "total,합계,,,63") {
		t.Fatalf("csv: %d\n%s", code, csv)
	}
	if code := f.do("GET", "/api/v1/customers/acme/statements/11-2026", acmeToken, "", nil); code != http.StatusBadRequest {
		t.Fatalf("bad month: %d", code)
	}
}

func TestFileAudit(t *testing.T) {
	path := t.TempDir() + "/audit.jsonl"
	a, err := OpenFileAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := a.Record(Entry{At: testNow, Who: "ops", Action: "x", Target: fmt.Sprint(i), Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Record(Entry{}); err == nil {
		t.Fatal("record after close")
	}
	b, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], `"target":"2"`) || !strings.Contains(lines[0], `"at":"2026-11-26T12:00:00Z"`) {
		t.Fatalf("file:\n%s", b)
	}
}

func TestMaskNumber(t *testing.T) {
	for in, want := range map[string]string{"01012345678": "010****5678", "0212345678": "021***5678", "1234": "**34", "": ""} {
		if got := MaskNumber(in); got != want {
			t.Errorf("MaskNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMessageIngress shows the door each message came in by.
func TestMessageIngress(t *testing.T) {
	f := newFixture(t)
	up := f.send("acme", "up-1", "sms", "01012345678", "", testNow.Add(-time.Hour))
	m := &message.Message{Customer: "acme", ClientRef: "smpp-1", Product: message.ProductSMS, Ingress: message.IngressSMPP,
		Sender: "0212345678", Recipient: "01012345678", Text: "hi", AcceptedAt: testNow.Add(-time.Hour)}
	id, _, err := f.st.Accept(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	for want, id := range map[string]message.ID{"upstream": up, "smpp": id} {
		var v MessageView
		if code := f.do("GET", "/api/v1/messages/"+id.String(), acmeToken, "", &v); code != 200 || v.Ingress != want {
			t.Fatalf("message %s: %d ingress %q, want %q", id, code, v.Ingress, want)
		}
	}
}
