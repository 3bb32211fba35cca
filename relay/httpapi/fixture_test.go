package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

const (
	demoKey  = "rly_nE6qcvyYgI9d1zrVYmkJ593az2Eo"
	otherKey = "rly_NLd9541vQWf6tgKF6t87Mh2JMKkU"
)

// mapKeys are the fixture's API keys; lookups counts the keys looked up.
type mapKeys struct {
	keys    map[string]string
	lookups *atomic.Int64
}

func (k mapKeys) CustomerByAPIKey(key string) (string, bool) {
	k.lookups.Add(1)
	c, ok := k.keys[key]
	return c, ok
}

type fixture struct {
	t    *testing.T
	st   *store.Store
	srv  *Server
	http *httptest.Server
	keys mapKeys
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dk, err := door.New(door.DefaultConfig(), door.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := customer.Load([]customer.Config{
		{ID: "demo", SecretEnv: "S", Products: []string{"sms", "lms", "alimtalk"},
			Senders: []string{"0212345678"}, SenderKeys: []string{"demo-sender-key"}, Rate: 1000},
		{ID: "other", SecretEnv: "S", Products: []string{"sms"}, Senders: []string{"0299998888"}, Rate: 1000},
	}, customer.LoadOptions{Getenv: func(string) string { return "secret" }, Iterations: customer.MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	reg := customer.NewRegistry(cs, customer.Options{})
	now := func() time.Time { return time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC) } // noon in Seoul
	// A guard as the daemon gives the API, with a burst of three wrong keys.
	guard := authguard.New(authguard.Config{FailBurst: 3, FailRate: 0.001, CheckRate: 1e6, CheckBurst: 1e5})
	keys := mapKeys{keys: map[string]string{demoKey: "demo", otherKey: "other"}, lookups: new(atomic.Int64)}
	srv, err := New(Options{Config: cfg,
		Acceptor: intake.New(intake.Options{Customers: reg, Door: dk, Store: st, Enqueue: func(...*message.Message) {}, Now: now}),
		Keys:     keys,
		Messages: st, Guard: guard})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fixture{t: t, st: st, srv: srv, http: hs, keys: keys}
}

// do sends a request and decodes the JSON answer into v (if not nil).
func (f *fixture) do(method, path, key string, hdr map[string]string, body []byte, v any) *http.Response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := f.http.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			f.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
