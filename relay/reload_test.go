package relay

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// reloadWith makes the daemon's reloads read cfg, checked as LoadConfig
// checks a file.
func (h *harness) reloadWith(cfg **Config) {
	h.d.opts.LoadConfig = func() (*Config, error) {
		c := *cfg
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
}

func (h *harness) cloneConfig() *Config {
	c := *h.cfg
	c.Customers = slices.Clone(h.cfg.Customers)
	c.Carriers = slices.Clone(h.cfg.Carriers)
	return &c
}

// A reload adds and changes customers without dropping a connection, keeps
// what operators changed at run time, refuses a bad file and a change that
// needs a restart whole, and is audited every time.
func TestReloadCustomersKeepsConnections(t *testing.T) {
	h := newHarness(t, withAdmin)
	var next *Config
	h.reloadWith(&next)
	u := h.connect("shop")
	if r := h.submit(u, sms("rl-0", "before")); r.Status != upstreampb.Status_OK {
		t.Fatalf("before the reload: %v", r)
	}
	if code, body := h.adminCall("POST", "/api/v1/customers/shop/senders", `{"number":"031-555-0000","proof":"KT-1"}`); code != 200 {
		t.Fatalf("add sender: %d %s", code, body)
	}
	if code, body := h.adminCall("POST", "/api/v1/customers/other/suspend", `{"reason":"unpaid"}`); code != 200 {
		t.Fatalf("suspend: %d %s", code, body)
	}

	next = h.cloneConfig()
	next.Customers = append(next.Customers, customer.Config{ID: "new", Name: "New", SecretHash: testHash,
		Products: []string{"sms"}, Senders: []string{"0319998888"}, Rate: 1000})
	next.Customers[0].Rate = 5000
	code, body := h.adminCall("POST", "/api/v1/reload", "")
	if code != 200 || !strings.Contains(body, "customer new added") || !strings.Contains(body, "customer shop changed") {
		t.Fatalf("reload: %d %s", code, body)
	}
	// The connection bound before the reload still submits, from the
	// number an operator added at run time (run-time changes win).
	fromAdded := sms("rl-1", "after")
	fromAdded.Sender = "0315550000"
	if r := h.submit(u, fromAdded); r.Status != upstreampb.Status_OK {
		t.Fatalf("the connection bound before the reload: %v", r)
	}
	if c := h.d.Customers().Get("shop"); c.Rate != 5000 {
		t.Errorf("shop's rate after the reload: %v", c.Rate)
	}
	if c := h.d.Customers().Get("other"); c == nil || !c.Suspended {
		t.Errorf("the suspension an operator made was undone: %+v", c)
	}
	nu := h.connect("new")
	r := sms("rl-2", "new customer")
	r.Sender = "0319998888"
	if resp := h.submit(nu, r); resp.Status != upstreampb.Status_OK {
		t.Fatalf("the customer the reload added: %v", resp)
	}

	// A file that fails the check is refused whole.
	bad := h.cloneConfig()
	bad.Customers = append(bad.Customers, bad.Customers[0])
	bad.Customers = append(bad.Customers, customer.Config{ID: "newer", Name: "Newer", SecretHash: testHash, Products: []string{"sms"}})
	next = bad
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 422 || !strings.Contains(body, `customer \"shop\" defined twice`) {
		t.Fatalf("reload of a bad file: %d %s", code, body)
	}
	if h.d.Customers().Get("newer") != nil {
		t.Fatal("a refused file was applied in part")
	}
	// A change a reload cannot apply is refused whole, naming it.
	carrier := h.cloneConfig()
	carrier.Carriers[1].Window = 8
	next = carrier
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 422 || !strings.Contains(body, "carrier changed") {
		t.Fatalf("reload changing a carrier: %d %s", code, body)
	}
	// SIGHUP reloads are audited too.
	next = h.cloneConfig()
	h.d.reloadBySignal(context.Background())
	audit, _ := os.ReadFile(h.cfg.Admin.AuditFile)
	var ok, refused, signal int
	for _, line := range strings.Split(string(audit), "\n") {
		if !strings.Contains(line, `"action":"config.reload"`) {
			continue
		}
		switch {
		case strings.Contains(line, `"who":"SIGHUP"`):
			signal++
		case strings.Contains(line, `"outcome":"refused"`):
			refused++
		default:
			ok++
		}
	}
	if ok != 1 || refused != 2 || signal != 1 {
		t.Fatalf("audited reloads: %d ok, %d refused, %d by signal\n%s", ok, refused, signal, audit)
	}
	if r := h.submit(u, sms("rl-3", "still here")); r.Status != upstreampb.Status_OK {
		t.Fatalf("after every reload: %v", r)
	}
}
