package webhook_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"go.uber.org/goleak"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/webhook"
	"github.com/msgrelay/relay/relay/webhook/webhooktest"
	"github.com/msgrelay/relay/store"
)

const secret = "whsec_demo_secret_0001"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// registry makes customer demo with its report_url at url.
func registry(t *testing.T, url string) *customer.Registry {
	t.Helper()
	cs, err := customer.Load([]customer.Config{{ID: "demo", SecretEnv: "S", Products: []string{"sms"},
		ReportURL: url, WebhookSecrets: []string{secret}}},
		customer.LoadOptions{Getenv: func(string) string { return "s" }, Iterations: customer.MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	return customer.NewRegistry(cs, customer.Options{})
}

// finalReports accepts n messages of demo and gives each a final result,
// so the outbox holds n reports; it returns their ids.
func finalReports(t *testing.T, st *store.Store, n int) []message.ID {
	return finalReportsFrom(t, st, 0, n)
}

func finalReportsFrom(t *testing.T, st *store.Store, from, n int) []message.ID {
	t.Helper()
	ctx := context.Background()
	var ids []message.ID
	for i := from; i < from+n; i++ {
		id, _, err := st.Accept(ctx, &message.Message{Customer: "demo", ClientRef: fmt.Sprint("ref-", i),
			Product: message.ProductSMS, Recipient: "01012345678", Text: "hi", Ingress: message.IngressHTTP})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Fail(ctx, id, message.Result{Source: message.SourceRelay, Code: "test", Reason: "made final"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

type fixture struct {
	t    *testing.T
	dir  string
	st   *store.Store
	reg  *customer.Registry
	recv *webhooktest.Server
	set  *metrics.Set
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), recv: webhooktest.NewServer(secret), set: metrics.NewSet()}
	t.Cleanup(f.recv.Close)
	f.reg = registry(t, f.recv.URL+"/reports")
	f.open()
	return f
}

func (f *fixture) open() {
	st, err := store.Open(f.dir, store.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	f.st = st
	f.t.Cleanup(func() { st.Close() })
}

func (f *fixture) sender(cfg webhook.Config) *webhook.Sender {
	f.t.Helper()
	cfg.AllowHTTP, cfg.AllowLoopback = true, true
	if cfg.RetryMin == 0 {
		cfg.RetryMin, cfg.RetryMax = 5*time.Millisecond, 40*time.Millisecond
	}
	s, err := webhook.New(webhook.Options{Config: cfg, Outbox: f.st, Customers: f.reg, Metrics: f.set})
	if err != nil {
		f.t.Fatal(err)
	}
	s.Start()
	return s
}

// waitFor polls cond until it holds or 20 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) outboxLen() int {
	rs, err := f.st.Reports("demo", 0, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(rs)
}

// checkReceived: every id arrived once, under its own Webhook-Id, with its
// report.
func (f *fixture) checkReceived(ids []message.ID) {
	f.t.Helper()
	got := map[string]webhooktest.Delivery{}
	for _, d := range f.recv.Deliveries() {
		got[d.ID] = d
	}
	for _, id := range ids {
		d, ok := got[webhook.IDOf(id)]
		if !ok {
			f.t.Errorf("report of %s lost", id)
			continue
		}
		if d.Report.MessageID != id.String() || d.Report.State != "failed" || d.Report.Result.Code != "test" ||
			d.Report.Product != "sms" || !strings.HasPrefix(d.Report.IdempotencyKey, "ref-") {
			f.t.Errorf("report of %s: %+v", id, d.Report)
		}
	}
	if len(got) != len(ids) {
		f.t.Errorf("%d distinct reports, want %d", len(got), len(ids))
	}
}

func TestDeliversAtLeastOnceThroughFailuresAndDuplicates(t *testing.T) {
	f := newFixture(t)
	ids := finalReports(t, f.st, 20)
	f.recv.SetBehavior(webhooktest.Behavior{FailNext: 5, DuplicateNext: 3})
	s := f.sender(webhook.Config{Concurrency: 4})
	defer s.Stop()
	waitFor(t, "an empty outbox", func() bool { return f.outboxLen() == 0 })
	f.checkReceived(ids)
	st := f.recv.Stats()
	if st.Failed != 5 || st.Duplicate < 3 || st.Bad != 0 {
		t.Errorf("receiver stats %+v", st)
	}
	// New reports wake the sender.
	more := finalReportsFrom(t, f.st, 20, 3)
	s.Wake("demo")
	waitFor(t, "the new reports", func() bool { return len(f.recv.Deliveries()) == 23 })
	f.checkReceived(append(ids, more...))
}

func TestFailingEndpointVisible(t *testing.T) {
	f := newFixture(t)
	finalReports(t, f.st, 2)
	f.recv.SetBehavior(webhooktest.Behavior{FailNext: 1 << 30, FailStatus: 502})
	s := f.sender(webhook.Config{})
	defer s.Stop()
	waitFor(t, "a failing endpoint", func() bool {
		st := s.Status()
		return len(st) == 1 && st[0].Failing && st[0].Failures >= 2
	})
	st := s.Status()[0]
	if st.Customer != "demo" || st.Pending != 2 || !strings.Contains(st.LastError, "502") || st.URL == "" {
		t.Errorf("status %+v", st)
	}
	var b bytes.Buffer
	f.set.WritePrometheus(&b)
	for _, want := range []string{`relay_webhook_failing{customer="demo"} 1`, `relay_webhook_pending{customer="demo"} 2`,
		`relay_webhook_deliveries_total{customer="demo",result="failed"}`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, b.String())
		}
	}
	if f.outboxLen() != 2 {
		t.Error("a failed report left the outbox")
	}
}

// TestRetriesAcrossRestart: reports that failed before the relay stopped
// are in the outbox after it restarts and are delivered then, with the
// same ids; none is lost.
func TestRetriesAcrossRestart(t *testing.T) {
	f := newFixture(t)
	ids := finalReports(t, f.st, 10)
	f.recv.SetBehavior(webhooktest.Behavior{FailNext: 1 << 30})
	s := f.sender(webhook.Config{})
	waitFor(t, "failed deliveries", func() bool { return f.recv.Stats().Failed >= 10 })
	s.Stop()
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	f.open()
	if n := f.outboxLen(); n != 10 {
		t.Fatalf("outbox holds %d after the restart, want 10", n)
	}
	f.recv.SetBehavior(webhooktest.Behavior{})
	s = f.sender(webhook.Config{})
	defer s.Stop()
	waitFor(t, "an empty outbox", func() bool { return f.outboxLen() == 0 })
	f.checkReceived(ids)
}

func TestTLSVerified(t *testing.T) {
	f := newFixture(t)
	tlsRecv := webhooktest.NewTLSServer(secret)
	defer tlsRecv.Close()
	f.reg = registry(t, tlsRecv.URL+"/reports")
	finalReports(t, f.st, 1)
	// The test server's certificate is not trusted by the system.
	s := f.sender(webhook.Config{})
	waitFor(t, "a refused certificate", func() bool {
		st := s.Status()
		return len(st) == 1 && strings.Contains(st[0].LastError, "certificate")
	})
	s.Stop()
	if tlsRecv.Stats().Received != 0 {
		t.Fatal("a delivery went through an unverified TLS connection")
	}
	// Trusting it, the same delivery goes through.
	pool := x509.NewCertPool()
	pool.AddCert(tlsRecv.Certificate())
	s, err := webhook.New(webhook.Options{Config: webhook.Config{AllowLoopback: true, RetryMin: 5 * time.Millisecond},
		Outbox: f.st, Customers: f.reg, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop()
	waitFor(t, "the delivery over verified TLS", func() bool { return f.outboxLen() == 0 })
	if st := tlsRecv.Stats(); st.Accepted != 1 {
		t.Errorf("receiver %+v", st)
	}
}

func TestGivesUp48HoursAfterTheFinalResult(t *testing.T) {
	f := newFixture(t)
	ids := finalReports(t, f.st, 1)
	f.recv.SetBehavior(webhooktest.Behavior{FailNext: 1 << 30})
	later := func() time.Time { return ids[0].Time().Add(webhook.GiveUpAfter + time.Minute) }
	s, err := webhook.New(webhook.Options{Config: webhook.Config{AllowHTTP: true, AllowLoopback: true},
		Outbox: f.st, Customers: f.reg, Metrics: f.set, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop()
	waitFor(t, "the report dropped", func() bool { return f.outboxLen() == 0 })
	if st := s.Status()[0]; st.Dropped != 1 || st.Delivered != 0 {
		t.Errorf("status %+v", st)
	}
}

// TestTargetRefusedAtConnect: a report_url whose name resolves to a
// loopback address is refused when the sender connects, under a policy
// without allow_loopback; nothing reaches the receiver, the report stays.
func TestTargetRefusedAtConnect(t *testing.T) {
	f := newFixture(t)
	f.reg = registry(t, strings.Replace(f.recv.URL, "127.0.0.1", "localhost", 1)+"/reports")
	finalReports(t, f.st, 1)
	s, err := webhook.New(webhook.Options{Config: webhook.Config{AllowHTTP: true, RetryMin: 5 * time.Millisecond},
		Outbox: f.st, Customers: f.reg, Metrics: f.set})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop()
	waitFor(t, "a refused target", func() bool {
		st := s.Status()
		return len(st) == 1 && strings.Contains(st[0].LastError, "target refused")
	})
	if f.recv.Stats().Received != 0 || f.outboxLen() != 1 {
		t.Errorf("receiver %+v, outbox %d", f.recv.Stats(), f.outboxLen())
	}
}
