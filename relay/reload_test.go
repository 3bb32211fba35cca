package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/admin"
	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
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
	listener := h.cloneConfig()
	listener.Upstream.MaxConns = 7
	listener.Customers = append(listener.Customers, customer.Config{ID: "newer", Name: "Newer", SecretHash: testHash, Products: []string{"sms"}})
	next = listener
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 422 || !strings.Contains(body, "upstream changed") {
		t.Fatalf("reload changing the upstream listener: %d %s", code, body)
	}
	if h.d.Customers().Get("newer") != nil {
		t.Fatal("a refused file was applied in part")
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

// sumSeries adds up every series of a family in the daemon's metrics.
func (h *harness) sumSeries(family string) uint64 {
	var b strings.Builder
	h.d.set.WritePrometheus(&b)
	var n uint64
	for _, line := range strings.Split(b.String(), "\n") {
		if !strings.HasPrefix(line, family+"{") && !strings.HasPrefix(line, family+" ") {
			continue
		}
		v, _ := strconv.ParseUint(line[strings.LastIndexByte(line, ' ')+1:], 10, 64)
		n += v
	}
	return n
}

// A reload applies every key it names (customers, tokens, prices, sender
// keys, templates, routes, carriers added, changed and removed, door
// limits) while the upstream connection, the SMPP server bind and the
// binds of the unchanged carrier stay the same connections; a changed
// carrier binds again and its old bind closes; a removed one unbinds and
// leaves /metrics. Each reload is audited with what changed.
func TestReloadEveryKeyKeepsConnections(t *testing.T) {
	h := newHarness(t, withAdmin, withSMPPServer)
	var next *Config
	h.reloadWith(&next)
	u := h.connect("shop")
	esmeSet := metrics.NewSet()
	esme := h.bindESME(smpp.Config{Carrier: "esme", Metrics: esmeSet})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	esmeSubmit := func(text string) error {
		_, err := esme.Submit(ctx, &pdu.SubmitSM{Source: pdu.Address{TON: 2, NPI: 1, Addr: "0212345678"},
			Dest: pdu.Address{TON: 1, NPI: 1, Addr: "821098765432"}, ShortMessage: []byte(text)})
		return err
	}
	if err := esmeSubmit("before"); err != nil {
		t.Fatal(err)
	}
	alim := &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_ALIMTALK, SenderKey: "key-1", TemplateCode: "RELOADED",
		Recipient: "01098765432", Text: "주문 1번이 접수되었습니다"}
	if r := h.submit(u, alim); r.Status == upstreampb.Status_OK {
		t.Fatalf("an AlimTalk of a template not yet configured: %v", r)
	}
	upBinds, esmeBinds := h.sumSeries("relay_upstream_binds_total"), h.sumSeries("relay_smpp_server_binds_total")
	aBinds, bBinds := h.sims["a"].Stats().Binds, h.sims["b"].Stats().Binds

	c, err := smpptest.NewServer(smpptest.Config{Users: map[string]string{"relay": "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	newToken := admin.NewToken()
	next = h.cloneConfig()
	next.Carriers[1].Window = 8 // b changes
	cc := dispatch.CarrierConfig{Name: "c", Addr: c.Addr(), SystemID: "relay", Password: "pw", Binds: 1, Window: 4,
		RespIDs: hexIDs(), ReceiptIDs: hexIDs()}
	cc.SetDefaults()
	next.Carriers = append(next.Carriers, cc) // c is added and takes every SMS
	next.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "c", Weight: 1}}, Failover: []string{"a"}}}
	next.Door.SMSBytes = 70
	next.Templates = append(slices.Clone(next.Templates), templates.Template{SenderKey: "key-1", Code: "RELOADED", Text: "주문 #{번호}번이 접수되었습니다"})
	next.Settle.Prices = maps.Clone(next.Settle.Prices)
	next.Settle.Prices["sms"] = 1234
	next.Admin.Tokens = append(slices.Clone(next.Admin.Tokens), admin.TokenConfig{Name: "ops2", Hash: admin.HashToken(newToken)})
	next.Customers = slices.Clone(next.Customers)
	next.Customers[0].SenderKeys = []string{"key-1", "key-2"}
	code, body := h.adminCall("POST", "/api/v1/reload", "")
	for _, want := range []string{"carrier b changed", "carrier c added", "routes changed", "door limits changed",
		"templates changed", "prices changed", "admin tokens changed", "customer shop changed"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("reload: %d, want %q in %s", code, want, body)
		}
	}

	// The new settings are in force.
	h.waitFor("c bound", func() bool { return h.d.disp.Live("c") })
	r := h.submit(u, sms("rk-1", "to c"))
	if r.Status != upstreampb.Status_OK {
		t.Fatalf("after the reload: %v", r)
	}
	h.waitReport(u, r.MessageId)
	if n := len(c.Submitted()); n != 1 {
		t.Fatalf("the added carrier got %d submits, want 1", n)
	}
	if r := h.submit(u, sms("rk-2", strings.Repeat("x", 71))); r.Status != upstreampb.Status_TOO_LONG {
		t.Fatalf("71 bytes over the reloaded SMS limit of 70: %v", r)
	}
	if r := h.submit(u, alim); r.Status != upstreampb.Status_OK {
		t.Fatalf("an AlimTalk of the reloaded template: %v", r)
	}
	if err := esmeSubmit("after"); err != nil {
		t.Fatalf("the SMPP bind made before the reload: %v", err)
	}
	req, _ := http.NewRequest("GET", "http://"+h.d.AdminAddr()+"/api/v1/customers/shop/statements/2026-11", nil)
	req.Header.Set("Authorization", "Bearer "+newToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	stmt, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(stmt), `"unit_price": 12.34`) {
		t.Fatalf("statement with the reloaded token and prices: %d %s", resp.StatusCode, stmt)
	}

	// The connections that did not change are the same ones.
	if n := h.sumSeries("relay_upstream_binds_total"); n != upBinds {
		t.Errorf("upstream binds %d → %d: the upstream connection was dropped", upBinds, n)
	}
	if n := h.sumSeries("relay_smpp_server_binds_total"); n != esmeBinds {
		t.Errorf("SMPP server binds %d → %d: the ESME's bind was dropped", esmeBinds, n)
	}
	if n := h.sims["a"].Stats().Binds; n != aBinds {
		t.Errorf("carrier a, unchanged, bound %d times, before %d", n, aBinds)
	}
	if now, _ := h.sims["a"].OpenSockets("relay"); now != 2 {
		t.Errorf("carrier a has %d binds open, want its 2", now)
	}
	if n := h.sims["b"].Stats().Binds; n != bBinds+1 {
		t.Errorf("carrier b, changed, bound %d times, want %d", n, bBinds+1)
	}
	h.waitFor("b's old bind closed", func() bool { now, _ := h.sims["b"].OpenSockets("relay"); return now == 1 })

	// c removed: its bind closes, its series go, SMS go to a again.
	h.waitFor("the ESME's SMS at c", func() bool { return len(c.Submitted()) == 2 })
	next = h.cloneConfig()
	next.Carriers = slices.DeleteFunc(slices.Clone(next.Carriers), func(c dispatch.CarrierConfig) bool { return c.Name == "c" })
	next.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "a", Weight: 1}}, Failover: []string{"b"}}}
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 200 || !strings.Contains(body, "carrier c removed") {
		t.Fatalf("reload removing c: %d %s", code, body)
	}
	h.waitFor("c unbound", func() bool { now, _ := c.OpenSockets("relay"); return now == 0 })
	h.waitFor("c's series gone", func() bool { return !strings.Contains(h.metricsText(), `carrier="c"`) })
	r = h.submit(u, sms("rk-3", "to a"))
	h.waitReport(u, r.MessageId)
	if n := len(c.Submitted()); n != 2 {
		t.Fatalf("the removed carrier got %d submits, want the 2 before its removal", n)
	}

	// A file that fails the check changes nothing, carriers included.
	bad := h.cloneConfig()
	bad.Carriers = append(slices.Clone(bad.Carriers), cc)
	bad.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "nope", Weight: 1}}}}
	next = bad
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 422 || !strings.Contains(body, "nope") {
		t.Fatalf("reload of a bad file: %d %s", code, body)
	}
	if slices.Contains(h.d.disp.Carriers(), "c") {
		t.Fatal("a refused file was applied in part")
	}

	// Every reload is audited with what it changed.
	audit, _ := os.ReadFile(h.cfg.Admin.AuditFile)
	var details []string
	for _, line := range strings.Split(string(audit), "\n") {
		if strings.Contains(line, `"action":"config.reload"`) {
			var e admin.Entry
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			details = append(details, e.Outcome+": "+e.Detail+e.Error)
		}
	}
	if len(details) != 3 || !strings.Contains(details[0], "ok: admin tokens changed; carrier b changed; carrier c added") ||
		!strings.Contains(details[1], "ok: carrier c removed") || !strings.Contains(details[2], `refused: admin: refused: route 1: route: unknown carrier "nope"`) {
		t.Fatalf("audited reloads:\n%s", strings.Join(details, "\n"))
	}
}

func (h *harness) metricsText() string {
	var b strings.Builder
	h.d.set.WritePrometheus(&b)
	return b.String()
}

// The merge rule: what operators changed at run time wins over the file at
// a reload, whatever the file changes around it. Templates put and removed
// through the API stay put and removed; an opt-out stays; a drained carrier
// stays drained when the file changes it, and its drain goes with it when
// the file removes it.
func TestReloadKeepsRunTimeChanges(t *testing.T) {
	h := newHarness(t, withAdmin, func(s *setup) {
		s.cfg.Templates = []templates.Template{
			{SenderKey: "key-1", Code: "FILE_KEPT", Text: "파일 템플릿"},
			{SenderKey: "key-1", Code: "FILE_REMOVED_AT_RUN_TIME", Text: "지워질 템플릿"},
		}
	})
	var next *Config
	h.reloadWith(&next)
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/api/v1/customers/shop/templates/key-1/RUN_TIME", `{"text":"런타임 템플릿"}`},
		{"DELETE", "/api/v1/customers/shop/templates/key-1/FILE_REMOVED_AT_RUN_TIME", ``},
		{"POST", "/api/v1/customers/shop/optout", `{"numbers":["01055556666"]}`},
		{"POST", "/api/v1/carriers/b/drain", ``},
	} {
		if code, body := h.adminCall(c.method, c.path, c.body); code/100 != 2 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, code, body)
		}
	}
	next = h.cloneConfig()
	next.Templates = append(slices.Clone(next.Templates), templates.Template{SenderKey: "key-1", Code: "FILE_ADDED", Text: "새 파일 템플릿"})
	next.Carriers[1].Window = 8
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 200 || !strings.Contains(body, "carrier b changed") {
		t.Fatalf("reload: %d %s", code, body)
	}
	reg := h.d.rules.templates
	for code, want := range map[string]bool{"FILE_KEPT": true, "FILE_ADDED": true, "RUN_TIME": true, "FILE_REMOVED_AT_RUN_TIME": false} {
		if got := reg.Get("key-1", code) != nil; got != want {
			t.Errorf("template %s after the reload: present %v, want %v", code, got, want)
		}
	}
	if !h.d.rules.optOuts.OptedOut("shop", "01055556666") {
		t.Error("the opt-out made at run time was lost")
	}
	if st := h.d.disp.Status(); !st.Carriers[1].Drained {
		t.Errorf("b, drained and then changed by the file: %+v", st.Carriers[1])
	}

	next = h.cloneConfig()
	next.Carriers = next.Carriers[:1]
	next.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "a", Weight: 1}}}}
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 200 || !strings.Contains(body, "carrier b removed") {
		t.Fatalf("reload removing b: %d %s", code, body)
	}
	if d := h.d.state.drained(); len(d) != 0 {
		t.Errorf("the drain of the removed carrier b is still kept: %v", d)
	}
}

// A carrier a reload removes drains: the submit in its window is answered
// (here: times out and is retried), the messages waiting in its queue are
// routed again by the new rules, and every one of them is delivered by the
// carrier that takes its place.
func TestReloadRemovedCarrierReroutes(t *testing.T) {
	h := newHarness(t, withAdmin, func(s *setup) {
		s.sims["a"].Behavior = smpptest.Behavior{DropEvery: 1} // takes submits, never answers
		s.cfg.Carriers[0].Binds, s.cfg.Carriers[0].Window = 1, 1
		s.cfg.Carriers[0].ResponseTimeout = time.Second
	})
	var next *Config
	h.reloadWith(&next)
	u := h.connect("shop")
	var ids []string
	for i := range 5 {
		r := h.submit(u, sms(fmt.Sprintf("rr-%d", i), "reroute"))
		if r.Status != upstreampb.Status_OK {
			t.Fatal(r)
		}
		ids = append(ids, r.MessageId)
	}
	h.waitFor("a's window full and its queue waiting", func() bool {
		return len(h.sims["a"].Submitted()) == 1 && h.d.disp.Status().Carriers[0].Queue == 4
	})
	next = h.cloneConfig()
	next.Carriers = next.Carriers[1:]
	next.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "b", Weight: 1}}}}
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 200 || !strings.Contains(body, "carrier a removed") {
		t.Fatalf("reload: %d %s", code, body)
	}
	for _, id := range ids {
		if r := h.waitReport(u, id); r.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("%s: %v", id, r)
		}
	}
	if n := len(h.sims["b"].Submitted()); n != 5 {
		t.Fatalf("b took %d of the 5", n)
	}
	h.waitFor("a unbound", func() bool { now, _ := h.sims["a"].OpenSockets("relay"); return now == 0 })
}

// A reload that takes away the sender profile a payment subscription made
// at run time sends from is refused whole: the subscription would render
// notices its customer may no longer send.
func TestReloadKeepsPaymentSubscriptionsWhole(t *testing.T) {
	h := newHarness(t, withAdmin, withPayments, func(s *setup) {
		s.cfg.Customers[1].SenderKeys = []string{"key-9"}
		s.cfg.Customers[1].Products = append(s.cfg.Customers[1].Products, "payment_alimtalk")
	})
	var next *Config
	h.reloadWith(&next)
	if code, body := h.adminCall("PUT", "/api/v1/customers/other/templates/key-9/PAY_M_APPROVAL",
		`{"text":"[승인] #{order_name} #{amount}"}`); code != 200 {
		t.Fatalf("template: %d %s", code, body)
	}
	sub := `{"customer":"other","sender_key":"key-9","merchant":{"events":["approval"],"recipients":["01077776666"]},
		"templates":[{"audience":"merchant","event":"approval","code":"PAY_M_APPROVAL","text":"[승인] #{order_name} #{amount}"}]}`
	if code, body := h.adminCall("PUT", "/api/v1/payments/other_mid", sub); code != 200 {
		t.Fatalf("subscription: %d %s", code, body)
	}
	next = h.cloneConfig()
	next.Customers = slices.Clone(next.Customers)
	next.Customers[1].SenderKeys = nil
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 422 || !strings.Contains(body, "payment subscription other_mid") {
		t.Fatalf("reload taking key-9 from other: %d %s", code, body)
	}
	if c := h.d.Customers().Get("other"); !c.HasSenderKey("key-9") {
		t.Fatal("the refused reload took the sender profile away")
	}
}
