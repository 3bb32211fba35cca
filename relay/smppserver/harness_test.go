package smppserver

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness is a server on loopback over a real store, door and registry.
type harness struct {
	t    *testing.T
	st   *store.Store
	reg  *customer.Registry
	srv  *Server
	addr string

	hub *intake.Hub

	mu       sync.Mutex
	accepted []*message.Message
}

func hash(t testing.TB, s string) string {
	h, err := customer.HashSecret(s, customer.MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// demoCustomers: demo binds with demopass; slow has a rate of 1/s; lan may
// bind only from 10.0.0.0/8, loop from there or 127.0.0.1.
func demoCustomers(t testing.TB) []customer.Config {
	return []customer.Config{
		{ID: "demo", SecretHash: hash(t, "demo-secret"), SMPPPasswordHash: hash(t, "demopass"),
			Products: []string{"sms", "lms"}, Senders: []string{"0212345678"}, Rate: 1000, SMPPBinds: 3},
		{ID: "slow", SecretHash: hash(t, "slow-secret"), SMPPPasswordHash: hash(t, "slowpass"),
			Products: []string{"sms"}, Senders: []string{"0299998888"}, Rate: 0.001, Burst: 1},
		{ID: "lan", SecretHash: hash(t, "lan-secret"), SMPPPasswordHash: hash(t, "lanpass"),
			Products: []string{"sms"}, Senders: []string{"0233334444"}, SMPPNetworks: []string{"10.0.0.0/8"}},
		{ID: "loop", SecretHash: hash(t, "loop-secret"), SMPPPasswordHash: hash(t, "looppass"),
			Products: []string{"sms"}, Senders: []string{"0255556666"}, SMPPNetworks: []string{"10.0.0.0/8", "127.0.0.1/32"}},
	}
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	return newHarnessOn(t, cfg, nil)
}

// newHarnessOn is newHarness with the server's listener passed through
// wrap first (nil: as it is).
func newHarnessOn(t *testing.T, cfg Config, wrap func(net.Listener) net.Listener) *harness {
	t.Helper()
	h := &harness{t: t, hub: intake.NewHub()}
	st, err := store.Open(t.TempDir(), store.Options{OnReports: h.hub.Wake})
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	cs, err := customer.Load(demoCustomers(t), customer.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.reg = customer.NewRegistry(cs, customer.Options{})
	dc, err := door.New(door.Config{}, door.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := intake.New(intake.Options{Customers: h.reg, Door: dc, Store: st, Now: time.Now, Enqueue: func(ms ...*message.Message) {
		h.mu.Lock()
		h.accepted = append(h.accepted, ms...)
		h.mu.Unlock()
	}})
	be := &Relay{Registry: h.reg, Acceptor: in, Store: st, Hub: h.hub}
	srv, err := NewServer(cfg, be, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	if wrap != nil {
		ln = wrap(ln)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		<-served
		if err := st.Close(); err != nil {
			t.Errorf("store close: %v", err)
		}
	})
	return h
}

// esme binds the relay's own ESME client to the server.
func (h *harness) esme(systemID, password string, mode smpp.BindMode, onDeliver smpp.DeliverHandler) *smpp.Session {
	h.t.Helper()
	s, err := smpp.Dial(smpp.Config{Addr: h.addr, SystemID: systemID, Password: password, Mode: mode,
		OnDeliver: onDeliver, ResponseTimeout: 5 * time.Second, ReconnectMin: 20 * time.Millisecond, ReconnectMax: 50 * time.Millisecond})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		h.t.Fatalf("bind %s: %v", systemID, err)
	}
	return s
}

// deliver takes an accepted message to delivered, as the dispatcher and the
// receipt correlator would, which puts its report in the outbox.
func (h *harness) deliver(id message.ID, ok bool) {
	h.t.Helper()
	ctx := context.Background()
	must := func(err error) {
		h.t.Helper()
		if err != nil {
			h.t.Fatal(err)
		}
	}
	must(h.st.MarkQueued(ctx, id))
	must(h.st.MarkSending(ctx, id, "c1"))
	_, err := h.st.RecordSubmitResp(ctx, id, "c1", "abc", time.Now())
	must(err)
	if ok {
		must(h.st.Deliver(ctx, id, message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}, time.Now()))
	} else {
		must(h.st.Fail(ctx, id, message.Result{Source: message.SourceReceipt, Code: "UNDELIV", Reason: "absent subscriber"}))
	}
}

// submit sends sm and returns the id or the refusal status.
func submit(t *testing.T, s *smpp.Session, sm *pdu.SubmitSM) (string, pdu.Status) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := s.Submit(ctx, sm)
	var st pdu.Status
	if errors.As(err, &st) {
		return "", st
	}
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r.MessageID, pdu.StatusOK
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
