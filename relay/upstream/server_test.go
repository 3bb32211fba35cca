package upstream_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"go.uber.org/goleak"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	*upstream.Server
	addr    string
	logs    *syncBuffer
	metrics *metrics.Set
}

// metric returns the metrics text line that starts with name, or "".
func (ts *testServer) metric(name string) string {
	var b bytes.Buffer
	ts.metrics.WritePrometheus(&b)
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	return ""
}

func startServer(t testing.TB, cfg upstream.Config, h upstream.Handler) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	set := metrics.NewSet()
	srv, err := upstream.NewServer(cfg, h, logger, set)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-served; !errors.Is(err, upstream.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{Server: srv, addr: ln.Addr().String(), logs: logs, metrics: set}
}

func dial(t testing.TB, addr string, opt client.Options) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, opt)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var c1 = client.Options{Customer: "c1", Secret: "right-secret", PingInterval: -1}

// rawConn speaks frames by hand, for what the client would never send.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	fr *upstream.FrameReader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, nc: nc, fr: upstream.NewFrameReader(nc, 0)}
}

func (r *rawConn) send(f *upstreampb.Frame) {
	r.t.Helper()
	b, err := upstream.AppendFrame(nil, f)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) read() *upstreampb.Frame {
	r.t.Helper()
	var f upstreampb.Frame
	if err := r.fr.Read(&f); err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return &f
}

// closed checks that the server closes the connection. The wait is long:
// a server that never closes fails, one that is merely slow on a busy
// machine does not. How soon a bind deadline closes a connection is
// checked on a fake clock (TestBindDeadlineOnFakeClock).
func (r *rawConn) closed() {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.Copy(io.Discard, r.nc)
	if err != nil {
		r.t.Fatalf("not closed within 30 s: %v", err)
	}
}

func (r *rawConn) bind(customer, secret string) *upstreampb.BindResp {
	r.t.Helper()
	r.send(&upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{Customer: customer, Secret: secret, Version: upstream.Version}}})
	resp := r.read().GetBindResp()
	if resp == nil {
		r.t.Fatal("no BindResp")
	}
	return resp
}

func submitFrame(seq uint32, ref string) *upstreampb.Frame {
	return &upstreampb.Frame{Seq: seq, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{
		ClientRef: ref, Product: upstreampb.Product_PRODUCT_SMS, Sender: "15884954", Recipient: "01012345678", Text: "hello"}}}
}

func TestBindRequired(t *testing.T) {
	h := newFakeHandler()
	ts := startServer(t, upstream.Config{}, h)
	r := dialRaw(t, ts.addr)
	r.send(submitFrame(7, "a"))
	f := r.read()
	if e := f.GetError(); e == nil || e.Status != upstreampb.Status_UNAUTHENTICATED || f.Seq != 7 {
		t.Fatalf("got %v, want Error UNAUTHENTICATED seq 7", f)
	}
	r.closed()
	if h.auths.Load() != 0 {
		t.Fatal("handler asked to authenticate without a bind")
	}
}

func TestBindAndSubmit(t *testing.T) {
	ts := startServer(t, upstream.Config{}, newFakeHandler())
	c := dial(t, ts.addr, c1)
	if c.Version() != upstream.Version {
		t.Fatalf("version %d", c.Version())
	}
	resp, err := c.Submit(context.Background(), submitFrame(0, "ref-1").GetSubmit())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != upstreampb.Status_OK || resp.MessageId != "id-ref-1" {
		t.Fatalf("resp %v", resp)
	}
	resp, err = c.Submit(context.Background(), &upstreampb.Submit{ClientRef: "x"})
	if err != nil || resp.Status != upstreampb.Status_MISSING_FIELD || resp.Field != "recipient" {
		t.Fatalf("refusal: %v %v", resp, err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		`relay_upstream_binds_total{server="upstream",result="ok"}`: "1",
		`relay_upstream_submits_total{server="upstream"}`:           "2",
		`relay_upstream_frames_in_total{server="upstream"}`:         "4",
		`relay_upstream_submits_in_flight{server="upstream"}`:       "0",
		`relay_upstream_connections{server="upstream"}`:             "1",
	} {
		if got := ts.metric(name); got != name+" "+want {
			t.Errorf("metric %q, want %s", got, want)
		}
	}
}

func TestUnsupportedVersion(t *testing.T) {
	ts := startServer(t, upstream.Config{}, newFakeHandler())
	r := dialRaw(t, ts.addr)
	r.send(&upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{
		Customer: "c1", Secret: "right-secret", Version: upstream.MinVersion - 1}}})
	if resp := r.read().GetBindResp(); resp == nil || resp.Status != upstreampb.Status_INVALID_REQUEST {
		t.Fatalf("old version: %v", resp)
	}
	r.closed()
	opt := c1
	opt.Version = upstream.Version + 5 // a newer client talks the server's version
	c := dial(t, ts.addr, opt)
	if c.Version() != upstream.Version {
		t.Fatalf("negotiated %d", c.Version())
	}
}

func TestWrongSecretRateLimitedAndNeverLogged(t *testing.T) {
	h := newFakeHandler()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	cfg := upstream.Config{Auth: authguard.Config{FailRate: 0.1, FailBurst: 3, Now: func() time.Time { return *clock.Load() }}}
	ts := startServer(t, cfg, h)
	const wrong = "WRONG-secret-value-42"
	for i := range 5 {
		opt := client.Options{Customer: "c1", Secret: wrong, PingInterval: -1}
		_, err := client.Dial(context.Background(), ts.addr, opt)
		var se *client.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		want := upstreampb.Status_UNAUTHENTICATED
		if i >= 3 {
			want = upstreampb.Status_THROTTLED
		}
		if se.Status != want {
			t.Fatalf("attempt %d: %v, want %v", i, se.Status, want)
		}
	}
	if n := h.auths.Load(); n != 3 {
		t.Fatalf("handler saw %d secrets, want 3", n)
	}
	// Even the right secret waits until the address's bucket refills.
	opt := c1
	if _, err := client.Dial(context.Background(), ts.addr, opt); !errors.Is(err, client.ErrRefused) {
		t.Fatalf("right secret while throttled: %v", err)
	}
	later := now.Add(11 * time.Second)
	clock.Store(&later)
	c := dial(t, ts.addr, opt)
	c.Close()
	logs := ts.logs.String()
	if !bytes.Contains([]byte(logs), []byte("bind refused")) {
		t.Fatalf("refusals not logged:\n%s", logs)
	}
	for _, secret := range []string{wrong, "right-secret"} {
		if bytes.Contains([]byte(logs), []byte(secret)) {
			t.Fatalf("secret %q in logs:\n%s", secret, logs)
		}
	}
}

func TestPipelinedOutOfOrder(t *testing.T) {
	h := newFakeHandler()
	const n = 10000
	var answered atomic.Int64
	zeroSeen := make(chan struct{})
	release := make(chan struct{})
	var releaseOnce sync.Once
	// The batch holding ref 0 waits until half of all submits are answered
	// by the other workers, so its answer comes back long after theirs.
	var running, maxRunning atomic.Int64
	h.hold = func(_ context.Context, reqs []*upstreampb.Submit) {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			m := maxRunning.Load()
			if now <= m || maxRunning.CompareAndSwap(m, now) {
				break
			}
		}
		for _, r := range reqs {
			if r.ClientRef == "0" {
				close(zeroSeen)
				select {
				case <-release:
				case <-time.After(20 * time.Second):
				}
				return
			}
		}
		if answered.Add(int64(len(reqs))) >= n/2 {
			releaseOnce.Do(func() { close(release) })
		}
	}
	ts := startServer(t, upstream.Config{MaxInFlight: n, SubmitWorkers: 4, MaxBatch: 64}, h)
	opt := c1
	opt.Window = n
	c := dial(t, ts.addr, opt)

	var order atomic.Int64
	var zeroAt atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	submit := func(i int) {
		ref := strconv.Itoa(i)
		resp, err := c.Submit(context.Background(), submitFrame(0, ref).GetSubmit())
		pos := order.Add(1)
		switch {
		case err != nil:
			errs <- err
		case resp.MessageId != "id-"+ref:
			errs <- errors.New("answer for " + ref + " carries " + resp.MessageId)
		}
		if i == 0 {
			zeroAt.Store(pos)
		}
	}
	wg.Go(func() { submit(0) })
	<-zeroSeen
	for i := 1; i < n; i++ {
		wg.Go(func() { submit(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if pos := zeroAt.Load(); pos < n/4 {
		t.Fatalf("first submit answered at position %d: not out of order", pos)
	}
	if m := maxRunning.Load(); m > 4 || m < 2 {
		t.Fatalf("%d handler calls at once on one connection, want 2..4", m)
	}
}

// payHandler is the fake handler that also takes payment events.
type payHandler struct{ *fakeHandler }

func (payHandler) PaymentEvent(ctx context.Context, s upstream.Session, ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	if ev.EventId == "" {
		return &upstreampb.PaymentEventResp{Status: upstreampb.Status_MISSING_FIELD, Reason: "event_id"}
	}
	return &upstreampb.PaymentEventResp{Status: upstreampb.Status_OK, MessageIds: []string{"pay-" + ev.EventId}}
}

func TestPaymentEvents(t *testing.T) {
	ev := &upstreampb.PaymentEvent{EventId: "e1", Mid: "mid01", Kind: upstreampb.PaymentEventKind_APPROVAL_COMPLETED,
		Method: upstreampb.PaymentMethod_CARD, Amount: 15000, BuyerNumber: "01012345678"}

	plain := startServer(t, upstream.Config{}, newFakeHandler())
	resp, err := dial(t, plain.addr, c1).PaymentEvent(context.Background(), ev)
	if err != nil || resp.Status != upstreampb.Status_INVALID_REQUEST {
		t.Fatalf("without a payment handler: %v %v", resp, err)
	}

	ts := startServer(t, upstream.Config{}, payHandler{newFakeHandler()})
	c := dial(t, ts.addr, c1)
	var wg sync.WaitGroup
	for i := range 50 { // payment events and submits share the window
		wg.Go(func() {
			if i%2 == 0 {
				resp, err := c.PaymentEvent(context.Background(), ev)
				if err != nil || resp.Status != upstreampb.Status_OK || len(resp.MessageIds) != 1 || resp.MessageIds[0] != "pay-e1" {
					t.Errorf("payment event: %v %v", resp, err)
				}
				return
			}
			resp, err := c.Submit(context.Background(), submitFrame(0, strconv.Itoa(i)).GetSubmit())
			if err != nil || resp.MessageId != "id-"+strconv.Itoa(i) {
				t.Errorf("submit: %v %v", resp, err)
			}
		})
	}
	wg.Wait()
	bad, err := c.PaymentEvent(context.Background(), &upstreampb.PaymentEvent{})
	if err != nil || bad.Status != upstreampb.Status_MISSING_FIELD {
		t.Fatalf("refused event: %v %v", bad, err)
	}
}
