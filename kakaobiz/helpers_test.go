package kakaobiz_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/kakaobiz/kakaotest"
)

// fasthttp's own janitors (the client's idle-connection cleaner and the
// server's worker-pool cleaner) sleep out their period after Close and then
// exit; they hold no connection. The server's date updater is one
// process-wide goroutine fasthttp starts once and never stops.
var fasthttpJanitors = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, fasthttpJanitors...) }

// fakeClock is shared by client and server: Sleep records the wait and
// moves time forward at once.
type fakeClock struct {
	mu struct {
		sync.Mutex
		now   time.Time
		slept []time.Duration
	}
}

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.mu.now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.mu.slept = append(c.mu.slept, d)
	c.mu.now = c.mu.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.mu.now = c.mu.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.mu.slept...)
}

type env struct {
	srv   *kakaotest.Server
	cli   *kakaobiz.Client
	clock *fakeClock
}

// newEnv starts a simulated server and a client on it; mod may change
// either config before start.
func newEnv(t testing.TB, scfg kakaotest.Config, mod func(*kakaobiz.Config)) *env {
	t.Helper()
	clock := newFakeClock()
	if scfg.Now == nil {
		scfg.Now = clock.Now
	}
	srv, err := kakaotest.NewServer(scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := kakaobiz.Config{
		BaseURL:        srv.URL(),
		ClientID:       "relay",
		ClientSecret:   "secret",
		Name:           t.Name(),
		MaxConns:       8,
		RequestTimeout: 30 * time.Second, // a healthy fake on a busy machine; tests of timeouts set their own
		Clock:          clock,
	}
	if mod != nil {
		mod(&cfg)
	}
	cli, err := kakaobiz.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cli.Close)
	return &env{srv: srv, cli: cli, clock: clock}
}

func alimTalk(serial, recipient string) *kakaobiz.Request {
	return &kakaobiz.Request{
		Serial:       serial,
		Type:         kakaobiz.AlimTalk,
		SenderKey:    "2662e99eb7a1f21abb3955278e9955f5a9a99b62",
		TemplateCode: "order_001",
		Recipient:    recipient,
		Text:         "[Shop] 주문이 접수되었습니다.\n주문번호: 1234",
		Title:        "주문 접수",
		Buttons:      []byte(`[{"name":"배송조회","type":"DS"}]`),
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
