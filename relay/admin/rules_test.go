package admin

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/optout"
)

func withRules(t *testing.T) (func(*Options), *alimtalk.Registry, *optout.List) {
	reg, err := alimtalk.NewRegistry(nil, alimtalk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := optout.Open(filepath.Join(t.TempDir(), "optout.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return func(o *Options) { o.Templates, o.OptOuts = reg, l }, reg, l
}

func TestTemplatesAPI(t *testing.T) {
	opt, reg, _ := withRules(t)
	f := newFixture(t, opt)
	body := `{"text": "#{name}님, 주문이 접수되었습니다.", "buttons": [{"type": "DS", "name": "배송조회"}]}`
	if code := f.do("PUT", "/api/v1/customers/acme/templates/sk-acme/ORDER_01", acmeToken, body, nil); code != http.StatusForbidden {
		t.Fatalf("customer PUT: %d", code)
	}
	if code := f.do("PUT", "/api/v1/customers/acme/templates/sk-beta/ORDER_01", opToken, body, nil); code != http.StatusNotFound {
		t.Fatalf("PUT for another customer's sender profile: %d", code)
	}
	var e map[string]string
	if code := f.do("PUT", "/api/v1/customers/acme/templates/sk-acme/BAD", opToken, `{"text": "#{open"}`, &e); code != http.StatusBadRequest || !strings.Contains(e["error"], "unterminated") {
		t.Fatalf("invalid template: %d %v", code, e)
	}
	if code := f.do("PUT", "/api/v1/customers/acme/templates/sk-acme/ORDER_01", opToken, body, nil); code != http.StatusOK {
		t.Fatalf("operator PUT: %d", code)
	}
	if err := reg.Match("sk-acme", "ORDER_01", "철수님, 주문이 접수되었습니다.", []alimtalk.Button{{Type: "DS", Name: "배송조회"}}); err != nil {
		t.Fatalf("the put template does not match: %v", err)
	}
	var list struct{ Templates []alimtalk.Template }
	if code := f.do("GET", "/api/v1/customers/acme/templates", acmeToken, "", &list); code != http.StatusOK || len(list.Templates) != 1 || list.Templates[0].Code != "ORDER_01" {
		t.Fatalf("GET: %d %+v", code, list)
	}
	if code := f.do("GET", "/api/v1/customers/acme/templates", betaToken, "", nil); code != http.StatusForbidden {
		t.Fatalf("another customer's GET: %d", code)
	}
	if code := f.do("DELETE", "/api/v1/customers/acme/templates/sk-acme/ORDER_01", opToken, "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	if code := f.do("DELETE", "/api/v1/customers/acme/templates/sk-acme/ORDER_01", opToken, "", nil); code != http.StatusNotFound {
		t.Fatalf("DELETE again: %d", code)
	}
	var actions []string
	for _, a := range f.audit.all() {
		actions = append(actions, a.Action+":"+a.Outcome)
	}
	// Every refused change is audited: the customer's 403 and the 404 for
	// another customer's sender profile by their route.
	const byRoute = "PUT /api/v1/customers/{customer}/templates/{sender_key}/{code}"
	if got := strings.Join(actions, " "); got != byRoute+":refused "+byRoute+":refused template.put:refused template.put:ok template.remove:ok template.remove:refused" {
		t.Fatalf("audit: %s", got)
	}
}

func TestOptOutAPI(t *testing.T) {
	opt, _, l := withRules(t)
	f := newFixture(t, opt)
	var r struct{ Changed int }
	if code := f.do("POST", "/api/v1/customers/acme/optout", acmeToken, `{"numbers": ["010-1111-2222", "01033334444"]}`, &r); code != http.StatusOK || r.Changed != 2 {
		t.Fatalf("add: %d %+v", code, r)
	}
	if code := f.do("POST", "/api/v1/customers/acme/optout", betaToken, `{"numbers": ["01055556666"]}`, nil); code != http.StatusForbidden {
		t.Fatalf("another customer's add: %d", code)
	}
	var e map[string]string
	if code := f.do("POST", "/api/v1/customers/acme/optout", acmeToken, `{"numbers": ["0212345678"]}`, &e); code != http.StatusBadRequest || !strings.Contains(e["error"], "0212345678") {
		t.Fatalf("landline: %d %v", code, e)
	}
	csv := "번호\n010-5555-6666\n01033334444\n+82 10 7777 8888\n"
	if code := f.do("POST", "/api/v1/customers/acme/optout/import", opToken, csv, &r); code != http.StatusOK || r.Changed != 2 {
		t.Fatalf("import: %d %+v", code, r)
	}
	for _, n := range []string{"01011112222", "01033334444", "01055556666", "01077778888"} {
		if !l.OptedOut("acme", n) {
			t.Errorf("%s not on the list", n)
		}
	}
	var list struct {
		Count   int
		Numbers []string
	}
	if code := f.do("GET", "/api/v1/customers/acme/optout", acmeToken, "", &list); code != http.StatusOK || list.Count != 4 || list.Numbers[0] != "01011112222" {
		t.Fatalf("customer list: %d %+v", code, list)
	}
	if f.do("GET", "/api/v1/customers/acme/optout", opToken, "", &list); list.Numbers[0] != "010****2222" {
		t.Fatalf("operator list not masked: %+v", list)
	}
	if code := f.do("DELETE", "/api/v1/customers/acme/optout/010-1111-2222", acmeToken, "", &r); code != http.StatusOK || r.Changed != 1 || l.OptedOut("acme", "01011112222") {
		t.Fatalf("remove: %d %+v", code, r)
	}
}
