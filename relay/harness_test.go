package relay

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// fasthttp's janitors (the Kakao client's idle-connection cleaner, the
// simulated server's worker-pool cleaner) sleep out their period after
// Close and then exit holding nothing; its date updater is one process-wide
// goroutine it never stops.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}

const testSecret = "s3cret-for-tests"

var testHash = func() string {
	h, err := customer.HashSecret(testSecret, customer.MinIterations)
	if err != nil {
		panic(err)
	}
	return h
}()

// harness runs a daemon against simulated SMSCs the test controls, over
// real loopback TCP. The SMSCs outlive the daemon, so a test can restart it.
type harness struct {
	t     *testing.T
	cfg   *Config
	d     *Daemon
	sims  map[string]*smpptest.Server
	kakao *kakaotest.Server
	now   *manualClock

	noBindWait bool
}

// manualClock is the wall clock of the daemon and of the SMSCs' receipt
// delays; tests move it instead of sleeping.
type manualClock struct {
	mu     sync.Mutex
	t      time.Time
	timers []*manualTimer
}

type manualTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newManualClock() *manualClock {
	return &manualClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := &manualTimer{at: c.t.Add(d), f: f}
	c.timers = append(c.timers, tm)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !tm.stopped
		tm.stopped = true
		return was
	}
}

// Advance moves the clock and runs the timers that came due.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	var due []*manualTimer
	keep := c.timers[:0]
	for _, tm := range c.timers {
		switch {
		case tm.stopped:
		case !tm.at.After(c.t):
			tm.stopped = true
			due = append(due, tm)
		default:
			keep = append(keep, tm)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, tm := range due {
		tm.f()
	}
}

// setup is what a test may change before the daemon starts.
type setup struct {
	cfg        *Config
	sims       map[string]*smpptest.Config
	noBindWait bool              // carriers are expected to stay down
	kakao      *kakaotest.Config // a simulated Kakao server, when set
	kakaoWait  time.Duration     // the relay's Kakao request timeout; default 1s
	clock      *manualClock      // the daemon's wall clock, for SMSCs that should share it
}

type harnessOpt func(*setup)

func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	h := &harness{t: t, sims: map[string]*smpptest.Server{}, now: newManualClock()}
	simCfg := map[string]*smpptest.Config{
		"a": {Users: map[string]string{"relay": "pw"}},
		"b": {Users: map[string]string{"relay": "pw"}},
	}
	cfg := &Config{
		DataDir:  filepath.Join(t.TempDir(), "data"), // the relay makes it 0700
		Upstream: UpstreamConfig{Listen: "127.0.0.1:0"},
		Door:     door.DefaultConfig(),
		Customers: []customer.Config{{
			ID: "shop", Name: "Shop", SecretHash: testHash,
			Products: []string{"sms", "lms", "alimtalk", "friendtalk_text", "friendtalk_image"},
			Senders:  []string{"0212345678"}, SenderKeys: []string{"key-1"}, Advertising: true,
			Rate: 100000,
		}, {
			ID: "other", Name: "Other", SecretHash: testHash,
			Products: []string{"sms"}, Senders: []string{"0311112222"}, Rate: 100000,
		}},
		Carriers: []dispatch.CarrierConfig{
			{Name: "a", SystemID: "relay", Password: "pw", Binds: 2, Window: 16, RespIDs: hexIDs(), ReceiptIDs: hexIDs()},
			{Name: "b", SystemID: "relay", Password: "pw", Binds: 1, Window: 16, RespIDs: hexIDs(), ReceiptIDs: hexIDs()},
		},
		Routes: []route.Config{{
			Carriers: []route.Weighted{{Name: "a", Weight: 1}},
			Failover: []string{"b"},
		}},
		Dispatch: dispatch.Config{RetryMin: time.Millisecond, RetryMax: 10 * time.Millisecond},
	}
	su := &setup{cfg: cfg, sims: simCfg, clock: h.now}
	for _, o := range opts {
		o(su)
	}
	h.noBindWait = su.noBindWait
	if su.kakao != nil {
		su.kakao.ClientID, su.kakao.ClientSecret = "relay", "kakao-secret"
		ks, err := kakaotest.NewServer(*su.kakao)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ks.Close)
		h.kakao = ks
		cfg.Kakao = dispatch.KakaoConfig{BaseURL: ks.URL(), ClientID: "relay", ClientSecret: "kakao-secret",
			MaxConns: 8, RequestTimeout: cmp.Or(su.kakaoWait, time.Second), PollEvery: time.Hour}
	}
	for name, sc := range simCfg {
		s, err := smpptest.NewServer(*sc)
		if err != nil {
			t.Fatal(err)
		}
		h.sims[name] = s
		t.Cleanup(s.Close)
		for i := range cfg.Carriers {
			// A carrier named like a simulator, or whose addr is "@" and
			// that name, binds to it.
			if cc := &cfg.Carriers[i]; cc.Name == name || cc.Addr == "@"+name {
				cc.Addr = s.Addr()
			}
		}
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h.cfg = cfg
	h.start()
	return h
}

func hexIDs() (f receipt.IDFormat) {
	_ = f.UnmarshalText([]byte("hex"))
	return f
}

func (h *harness) start() {
	h.t.Helper()
	d, err := Start(h.cfg, Options{Logger: testLogger(), Now: h.now.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	h.d = d
	h.t.Cleanup(func() { h.stop() })
	if h.noBindWait {
		return
	}
	h.waitFor("carriers bound", func() bool {
		for _, c := range d.disp.Status().Carriers {
			for _, b := range c.Binds {
				if !b.Up {
					return false
				}
			}
		}
		return true
	})
}

func (h *harness) stop() {
	if h.d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.d.Shutdown(ctx); err != nil {
		h.t.Errorf("shutdown: %v", err)
	}
	h.d = nil
}

func (h *harness) restart() {
	h.stop()
	h.start()
}

func testLogger() *slog.Logger {
	if os.Getenv("RELAY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// waitFor polls cond until it holds or 30 s pass (only a failure waits that long).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.waitForWithin(30*time.Second, what, cond)
}

// waitForWithin is waitFor with its own time limit, for a wait whose
// length follows from work the test measured (a backlog's drain).
func (h *harness) waitForWithin(limit time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// upstreamClient is a bound upstream connection that collects reports.
type upstreamClient struct {
	*client.Client
	mu      sync.Mutex
	reports map[string][]*upstreampb.Report // by message id
}

func (h *harness) connect(customerID string) *upstreamClient {
	h.t.Helper()
	u := &upstreamClient{reports: map[string][]*upstreampb.Report{}}
	c, err := client.Dial(context.Background(), h.d.UpstreamAddr(), client.Options{
		Customer: customerID, Secret: testSecret, PingInterval: -1,
		OnReport: func(r *upstreampb.Report) {
			u.mu.Lock()
			u.reports[r.MessageId] = append(u.reports[r.MessageId], r)
			u.mu.Unlock()
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	u.Client = c
	h.t.Cleanup(func() { c.Close() })
	return u
}

func (u *upstreamClient) report(id string) *upstreampb.Report {
	u.mu.Lock()
	defer u.mu.Unlock()
	if rs := u.reports[id]; len(rs) > 0 {
		return rs[len(rs)-1]
	}
	return nil
}

func (u *upstreamClient) reportCount(id string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reports[id])
}

func (h *harness) submit(u *upstreamClient, s *upstreampb.Submit) *upstreampb.SubmitResp {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := u.Submit(ctx, s)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) waitReport(u *upstreamClient, id string) *upstreampb.Report {
	h.t.Helper()
	var r *upstreampb.Report
	h.waitFor("report of "+id, func() bool { r = u.report(id); return r != nil })
	return r
}

func sms(ref, text string) *upstreampb.Submit {
	return &upstreampb.Submit{ClientRef: ref, Product: upstreampb.Product_PRODUCT_SMS,
		Sender: "02-1234-5678", Recipient: "010-9876-5432", Text: text}
}

// counter reads one series from the daemon's metrics.
func (h *harness) counter(series string) uint64 {
	var b strings.Builder
	h.d.set.WritePrometheus(&b)
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}

// carrierSubmits is every submit_sm the simulated carriers received.
func (h *harness) carrierSubmits() []smpptest.Submitted {
	var all []smpptest.Submitted
	for _, s := range h.sims {
		all = append(all, s.Submitted()...)
	}
	return all
}
