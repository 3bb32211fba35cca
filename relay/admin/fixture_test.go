package admin

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	opToken   = "rly_ARZnRjqAUjTozzKxCYAYxH0HzEDL"
	acmeToken = "rly_5ba5q2fhp9gAjKTmuk14Gp0spP8o"
	betaToken = "rly_XVkuLMpVG50cjrVfOSgGnd0t3EY5"
)

// memAudit records entries in memory.
type memAudit struct {
	mu      sync.Mutex
	entries []Entry
}

func (a *memAudit) Record(e Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

func (a *memAudit) all() []Entry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Entry(nil), a.entries...)
}

type fixture struct {
	t       *testing.T
	base    string
	st      *store.Store
	reg     *customer.Registry
	pay     *payment.Registry
	audit   *memAudit
	persist *[]string // customer registry observer calls
	now     time.Time
	ids     map[string]message.ID // by client ref
	settler *settle.Settler
}

var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, now: testNow, audit: &memAudit{}, ids: map[string]message.ID{}}
	st, err := store.Open(t.TempDir(), store.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	var persisted []string
	var pmu sync.Mutex
	f.persist = &persisted
	f.reg = customer.NewRegistry([]*customer.Customer{
		{ID: "acme", Name: "Acme", Products: message.Products, Senders: []string{"0212345678"}, SenderKeys: []string{"sk-acme"}},
		{ID: "beta", Name: "Beta", Products: message.Products, Senders: []string{"0311112222"}},
	}, customer.Options{Observer: customer.ObserverFunc(func(c customer.Change, cu *customer.Customer) error {
		pmu.Lock()
		defer pmu.Unlock()
		persisted = append(persisted, string(c)+":"+cu.ID)
		return nil
	})})
	f.pay, err = payment.NewRegistry([]payment.Subscription{{
		MID: "acme001", Customer: "acme", SenderKey: "sk-acme",
		Merchant:  payment.MerchantAudience{Events: []payment.Notice{payment.NoticeApproval}, Recipients: []string{"01011110000"}},
		Templates: []payment.Template{{Audience: payment.AudienceMerchant, Notice: payment.NoticeApproval, Code: "M1", Text: "#{amount}"}},
	}}, payment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.settler, err = settle.New(settle.Config{Prices: map[string]settle.Price{
		"sms": 990, "lms": 2900, "alimtalk": 750, "friendtalk_text": 1300, "friendtalk_image": 1980, "payment_alimtalk": 800,
	}, Holidays: []string{"2026-12-25"}})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := LoadTokens([]TokenConfig{
		{Name: "ops", Hash: HashToken(opToken)},
		{Name: "acme-admin", Customer: "acme", Env: "ACME_TOKEN"},
		{Name: "beta-admin", Customer: "beta", Hash: HashToken(betaToken)},
	}, func(k string) string {
		if k == "ACME_TOKEN" {
			return acmeToken
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Tokens: toks, Store: st, Customers: f.reg, Payments: f.pay, Settler: f.settler, Audit: f.audit,
		Now: func() time.Time { return f.now },
	}
	for _, fn := range opts {
		fn(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.base = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		http.DefaultClient.CloseIdleConnections()
		if err := st.Close(); err != nil {
			t.Errorf("store close: %v", err)
		}
	})
	return f
}

// send stores a message and takes it to its final state: "delivered",
// "failed", or "" to leave it sent.
func (f *fixture) send(cust, ref, product, recipient, final string, at time.Time) message.ID {
	f.t.Helper()
	return f.sendFrom("0212345678", cust, ref, product, recipient, final, at)
}

// sendFrom is send from a sender number.
func (f *fixture) sendFrom(sender, cust, ref, product, recipient, final string, at time.Time) message.ID {
	f.t.Helper()
	ctx := context.Background()
	p, _ := message.ParseProduct(product)
	m := &message.Message{Customer: cust, ClientRef: ref, Product: p, Sender: sender, Recipient: recipient,
		Text: "hello " + ref, AcceptedAt: at}
	if p.Kakao() {
		m.Kakao.SenderKey, m.Kakao.TemplateCode = "sk", "T1"
	}
	f.now = at // ids, and so time lookups, follow the store's clock
	id, _, err := f.st.Accept(ctx, m)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ids[ref] = id
	carrier := "c1"
	must := func(err error) {
		f.t.Helper()
		if err != nil {
			f.t.Fatalf("%s: %v", ref, err)
		}
	}
	must(f.st.MarkQueued(ctx, id))
	must(f.st.MarkSending(ctx, id, carrier))
	_, err = f.st.RecordSubmitResp(ctx, id, carrier, "cm-"+ref, at.Add(time.Second))
	must(err)
	if final == "" {
		return id
	}
	rc := store.Receipt{Carrier: carrier, CarrierMsgID: "cm-" + ref, Final: true, At: at.Add(time.Minute),
		Delivered: final == "delivered", Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}}
	if final == "failed" {
		rc.Result = message.Result{Source: message.SourceReceipt, Code: "UNDELIV", Reason: "handset off"}
	}
	_, err = f.st.ApplyReceipt(ctx, rc)
	must(err)
	return id
}

// do sends a request with a bearer token and decodes a JSON answer into out.
func (f *fixture) do(method, path, token, body string, out any) int {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(b)
		} else if err := json.Unmarshal(b, out); err != nil && resp.StatusCode < 300 {
			f.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
