package relay

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/ops"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func withOps(s *setup) { s.cfg.OpsListen = "127.0.0.1:0" }

func (h *harness) opsGet(path string) (int, string) {
	h.t.Helper()
	resp, err := http.Get("http://" + h.d.OpsAddr() + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (h *harness) status() ops.Report {
	h.t.Helper()
	code, body := h.opsGet("/status?format=json")
	var rep ops.Report
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil {
		h.t.Fatalf("/status?format=json: %d %v\n%s", code, err, body)
	}
	return rep
}

// One carrier down behind a live failover is a warning, not unreadiness;
// with every carrier of the route down the relay is not ready, and says
// which product has no path.
func TestReadyzFailoverIsAWarning(t *testing.T) {
	h := newHarness(t, withOps)
	if code, body := h.opsGet("/readyz"); code != 200 || strings.Contains(body, "warning") {
		t.Fatalf("all up: %d %q", code, body)
	}
	h.sims["a"].Close()
	h.waitFor("carrier a down", func() bool { return !h.d.disp.Live("a") })
	code, body := h.opsGet("/readyz")
	if code != 200 || !strings.Contains(body, "warning: sms: a down, served by b") {
		t.Fatalf("a down behind failover b: %d %q", code, body)
	}
	rep := h.status()
	if !rep.Ready || len(rep.Warnings) == 0 || rep.Dispatch.Carriers[0].Live || rep.Dispatch.Carriers[0].Binds[0].Reason == "" {
		t.Fatalf("status with a down: %+v", rep)
	}
	h.sims["b"].Close()
	h.waitFor("carrier b down", func() bool { return !h.d.disp.Live("b") })
	code, body = h.opsGet("/readyz")
	if code != 503 || !strings.Contains(body, "sms has no live path (down: a, b)") {
		t.Fatalf("every carrier down: %d %q", code, body)
	}
}

// A Kakao channel that cannot get a token is no live path for the
// Kakao products, whatever the carriers.
func TestReadyzKakaoNeedsAValidToken(t *testing.T) {
	h := newHarness(t, withOps, withKakao(nil))
	if code, body := h.opsGet("/readyz"); code != 200 {
		t.Fatalf("kakao with good credentials: %d %q", code, body)
	}
	if k := h.status().Dispatch.Kakao; k == nil || k.Token != kakaobiz.TokenValid {
		t.Fatalf("kakao after readyz: %+v", k)
	}

	h2 := newHarness(t, withOps, withKakao(nil))
	h2.kakao.Close() // no token can be had
	code, body := h2.opsGet("/readyz")
	if code != 503 || !strings.Contains(body, "alimtalk has no live path (down: kakao)") {
		t.Fatalf("kakao refusing the token: %d %q", code, body)
	}
}

func TestStatusPage(t *testing.T) {
	h := newHarness(t, withOps, withKakao(nil), func(s *setup) {
		s.sims["a"].Receipts = smpptest.ReceiptNone // messages stay sent
		s.cfg.Carriers[0].TPS = 500
	})
	u := h.connect("shop")
	r := h.submit(u, sms("st-1", "status"))
	h.waitFor("the message sent", func() bool {
		m, err := h.d.Store().Get(mustID(t, r.MessageId))
		return err == nil && m.State.String() == "sent"
	})
	rep := h.status()
	if !rep.Ready || !rep.Store.Healthy {
		t.Fatalf("not ready: %+v", rep)
	}
	a := rep.Dispatch.Carriers[0]
	if a.Name != "a" || len(a.Binds) != 2 || !a.Binds[0].Up || a.Binds[0].Window != 16 || a.Binds[0].TPS != 500 {
		t.Fatalf("carrier a: %+v", a)
	}
	var shop ops.CustomerRow
	for _, c := range rep.Customers {
		if c.ID == "shop" {
			shop = c
		}
	}
	if shop.Conns != 1 || len(rep.Customers) != 2 {
		t.Fatalf("customers: %+v", rep.Customers)
	}
	if row := rep.Store.Open.ByState["sent"]; rep.Store.Open.Total != 1 || row == nil || row[0] != 1 {
		t.Fatalf("open messages: %+v", rep.Store.Open)
	}
	if rep.Dispatch.Kakao == nil || len(rep.Paths) != 6 {
		t.Fatalf("paths %+v, kakao %+v", rep.Paths, rep.Dispatch.Kakao)
	}
	code, page := h.opsGet("/status")
	for _, want := range []string{"<b>ready</b>", "a-1", "0/16", "shop", "sent", "0–1m", "≥24h"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("status page lacks %q (%d)", want, code)
		}
	}
}

func TestAdminRootRedirectsToPages(t *testing.T) {
	h := newHarness(t, withAdmin)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://" + h.d.AdminAddr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
		t.Fatalf("GET / = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A drained carrier takes no new message while its binds stay up; resumed,
// it takes its share again. Both are audited.
func TestCarrierDrainAndResume(t *testing.T) {
	h := newHarness(t, withAdmin, withOps)
	if code, body := h.adminCall("POST", "/api/v1/carriers/a/drain", ``); code != 200 || !strings.Contains(body, `"in_flight": 0`) {
		t.Fatalf("drain a: %d %s", code, body)
	}
	u := h.connect("shop")
	r := h.submit(u, sms("dr-1", "drained"))
	h.waitReport(u, r.MessageId)
	if len(h.sims["a"].Submitted()) != 0 || len(h.sims["b"].Submitted()) != 1 {
		t.Fatalf("with a drained: a got %d, b got %d", len(h.sims["a"].Submitted()), len(h.sims["b"].Submitted()))
	}
	rep := h.status()
	if a := rep.Dispatch.Carriers[0]; !a.Drained || a.Live || !a.Binds[0].Up || !rep.Ready {
		t.Fatalf("status with a drained: %+v", rep)
	}
	// The drain is kept with the run-time state: a restart keeps a out.
	h.restart()
	u = h.connect("shop")
	if a := h.status().Dispatch.Carriers[0]; !a.Drained || a.Live {
		t.Fatalf("a after a restart: %+v", a)
	}
	r = h.submit(u, sms("dr-1b", "still drained"))
	h.waitReport(u, r.MessageId)
	if len(h.sims["a"].Submitted()) != 0 || len(h.sims["b"].Submitted()) != 2 {
		t.Fatalf("a drained across a restart: a got %d, b got %d", len(h.sims["a"].Submitted()), len(h.sims["b"].Submitted()))
	}
	if code, body := h.adminCall("POST", "/api/v1/carriers/a/resume", ``); code != 200 {
		t.Fatalf("resume a: %d %s", code, body)
	}
	h.restart()
	u = h.connect("shop")
	if a := h.status().Dispatch.Carriers[0]; a.Drained {
		t.Fatalf("a resumed, then restarted: %+v", a)
	}
	r = h.submit(u, sms("dr-2", "resumed"))
	h.waitReport(u, r.MessageId)
	if len(h.sims["a"].Submitted()) != 1 {
		t.Fatalf("after resume a got %d", len(h.sims["a"].Submitted()))
	}
	if code, _ := h.adminCall("POST", "/api/v1/carriers/nope/drain", ``); code != 404 {
		t.Fatalf("drain of an unknown carrier: %d", code)
	}
	audit, _ := os.ReadFile(h.cfg.Admin.AuditFile)
	for _, want := range []string{`"action":"carrier.drain","target":"a"`, `"action":"carrier.resume","target":"a"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("audit lacks %s:\n%s", want, audit)
		}
	}
}

func TestAdminListsCustomers(t *testing.T) {
	h := newHarness(t, withAdmin)
	code, body := h.adminCall("GET", "/api/v1/customers", "")
	if code != 200 || !strings.Contains(body, `"id": "other"`) || strings.Index(body, `"id": "other"`) > strings.Index(body, `"id": "shop"`) {
		t.Fatalf("customers: %d %s", code, body)
	}
}

// The customers on /status count every ingress: the upstream connection
// and the SMPP server bind of a customer are both its connections.
func TestStatusCountsEveryIngress(t *testing.T) {
	h := newHarness(t, withOps, withSMPPServer)
	h.connect("shop")
	h.bindESME(smpp.Config{})
	var shop ops.CustomerRow
	h.waitFor("the ESME's bind counted", func() bool {
		for _, c := range h.status().Customers {
			if c.ID == "shop" {
				shop = c
			}
		}
		return shop.ByIngress["smpp"].Conns == 1
	})
	if shop.Conns != 2 || shop.ByIngress["upstream"].Conns != 1 || shop.ByIngress["http"].Conns != 0 {
		t.Fatalf("shop on /status: %+v", shop)
	}
	if _, page := h.opsGet("/status"); !strings.Contains(page, "<td>1 / 0</td><td>1 / 0</td><td>0 / 0</td>") {
		t.Errorf("the status page does not split shop's connections by ingress:\n%s", page)
	}
}

// blockingAcceptor holds every Accept until release is closed.
type blockingAcceptor struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingAcceptor) Accept(ctx context.Context, _ string, _ message.Ingress, _ []intake.Submit, _ []intake.Result) {
	b.entered <- struct{}{}
	<-b.release
}

func (b *blockingAcceptor) Closing() bool { return false }

// The SMPP server's and HTTP API's submits count as in flight, per
// customer and ingress, while they are in the accept path.
func TestIngressLoadCountsInFlight(t *testing.T) {
	b := &blockingAcceptor{entered: make(chan struct{}), release: make(chan struct{})}
	l := newIngressLoad(b)
	var wg sync.WaitGroup
	wg.Go(func() {
		l.Accept(context.Background(), "shop", message.IngressHTTP, make([]intake.Submit, 3), make([]intake.Result, 3))
	})
	wg.Go(func() {
		l.Accept(context.Background(), "shop", message.IngressSMPP, make([]intake.Submit, 1), make([]intake.Result, 1))
	})
	<-b.entered
	<-b.entered
	if got := l.inFlight(message.IngressHTTP)["shop"]; got != (loadCount{calls: 1, messages: 3}) {
		t.Errorf("HTTP in flight: %+v", got)
	}
	if got := l.inFlight(message.IngressSMPP)["shop"]; got != (loadCount{calls: 1, messages: 1}) {
		t.Errorf("SMPP in flight: %+v", got)
	}
	close(b.release)
	wg.Wait()
	if got := l.inFlight(message.IngressHTTP); len(got) != 0 {
		t.Errorf("after the answers: %+v", got)
	}
}

// nopAcceptor answers nothing at once.
type nopAcceptor struct{}

func (nopAcceptor) Accept(context.Context, string, message.Ingress, []intake.Submit, []intake.Result) {
}

func (nopAcceptor) Closing() bool { return false }

// BenchmarkIngressLoad is what counting an HTTP request or SMPP batch in
// flight adds to its accept path, with requests of several customers at
// once.
func BenchmarkIngressLoad(b *testing.B) {
	l := newIngressLoad(nopAcceptor{})
	subs := make([]intake.Submit, 1)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		customer := "c" + strconv.Itoa(int(n.Add(1)%4))
		out := make([]intake.Result, 1)
		for pb.Next() {
			l.Accept(context.Background(), customer, message.IngressHTTP, subs, out)
		}
	})
}
