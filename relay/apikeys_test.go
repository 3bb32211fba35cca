package relay

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/tokenfmt"
)

// apiKeyStatus is the HTTP API's answer to a lookup made with key: 404 for
// a key it takes (no such message), 401 for one it refuses.
func apiKeyStatus(t *testing.T, addr, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/messages/0000000000000001", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAPIKeysChangedAtRunTime: an operator adds a customer's API key and
// revokes the file's one through the admin API; both changes hold across
// a restart and over a reload of the file, and the refusals name the rule.
func TestAPIKeysChangedAtRunTime(t *testing.T) {
	newKey := tokenfmt.New()
	h := newHarness(t, withAdmin, func(s *setup) {
		s.cfg.HTTP.Listen = "127.0.0.1:0"
		s.cfg.Customers[0].APIKeys = []string{customer.HashAPIKey(shopAPIKey)}
	})
	hash := customer.HashAPIKey(newKey)
	if code, body := h.adminCall("POST", "/api/v1/customers/shop/api-keys", `{"hash":"`+hash+`"}`); code != 200 ||
		!strings.Contains(body, hash) {
		t.Fatalf("add: %d %s", code, body)
	}
	if got := apiKeyStatus(t, h.d.HTTPAddr(), newKey); got != http.StatusNotFound {
		t.Fatalf("the added key: %d, want 404 (taken, no such message)", got)
	}
	for name, c := range map[string]struct {
		method, path, body string
		code               int
		says               string
	}{
		"a third key":    {"POST", "/api/v1/customers/shop/api-keys", `{"hash":"` + customer.HashAPIKey("rly_third") + `"}`, 409, "at most 2 API keys"},
		"shop's key":     {"POST", "/api/v1/customers/other/api-keys", `{"hash":"` + hash + `"}`, 409, `is customer "shop"'s; a key belongs to one customer`},
		"the key itself": {"POST", "/api/v1/customers/other/api-keys", `{"hash":"` + newKey + `"}`, 400, "an API key itself, not its hash"},
		"not a hash":     {"POST", "/api/v1/customers/other/api-keys", `{"hash":"sha256:12"}`, 400, "want sha256:<64 hex digits>"},
		"a key to drop":  {"DELETE", "/api/v1/customers/shop/api-keys/" + newKey, "", 404, "rly_… (an API key, withheld)"},
		"no such key":    {"DELETE", "/api/v1/customers/other/api-keys/0123456789ab", "", 404, `API key "0123456789ab" of customer "other"`},
		"no such person": {"POST", "/api/v1/customers/nobody/api-keys", `{"hash":"` + customer.HashAPIKey("rly_x") + `"}`, 404, "unknown customer"},
	} {
		code, body := h.adminCall(c.method, c.path, c.body)
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || code != c.code || !strings.Contains(e.Error, c.says) {
			t.Errorf("%s: %d %s, want %d naming %q", name, code, body, c.code, c.says)
		}
	}
	// The file's key, revoked by its id.
	old := customer.HashAPIKey(shopAPIKey)
	if code, body := h.adminCall("DELETE", "/api/v1/customers/shop/api-keys/"+old[7:19], ""); code != 200 || strings.Contains(body, old) {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if got := apiKeyStatus(t, h.d.HTTPAddr(), shopAPIKey); got != http.StatusUnauthorized {
		t.Fatalf("the revoked key: %d, want 401", got)
	}

	h.restart()
	if got := apiKeyStatus(t, h.d.HTTPAddr(), newKey); got != http.StatusNotFound {
		t.Errorf("the added key after a restart: %d", got)
	}
	if got := apiKeyStatus(t, h.d.HTTPAddr(), shopAPIKey); got != http.StatusUnauthorized {
		t.Errorf("the revoked key after a restart: %d", got)
	}
	var view admin.APIKeysView
	code, body := h.adminCall("GET", "/api/v1/customers/shop/api-keys", "")
	if err := json.Unmarshal([]byte(body), &view); code != 200 || err != nil || len(view.APIKeys) != 1 || view.APIKeys[0].Hash != hash {
		t.Errorf("listed after a restart: %d %s", code, body)
	}
	// A reload of the unchanged file keeps the run-time changes: they win.
	cfg := *h.cfg
	h.d.opts.LoadConfig = func() (*Config, error) { c := cfg; return &c, nil }
	if _, err := h.d.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if id, _ := h.d.Customers().CustomerByAPIKey(shopAPIKey); id != "" {
		t.Errorf("a reload brought the revoked key back for %q", id)
	}
	if id, _ := h.d.Customers().CustomerByAPIKey(newKey); id != "shop" {
		t.Errorf("a reload dropped the added key: %q", id)
	}

	// Both changes were audited, with the key's id, not the key.
	audit, err := os.ReadFile(filepath.Join(h.cfg.DataDir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"action":"apikey.add","target":"shop","detail":"` + hash[7:19] + `"`,
		`"action":"apikey.revoke","target":"shop","detail":"` + old[7:19] + `"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("audit log lacks %s:\n%s", want, audit)
		}
	}
	if strings.Contains(string(audit), newKey) || strings.Contains(string(audit), shopAPIKey) {
		t.Errorf("the audit log holds a key:\n%s", audit)
	}
}
