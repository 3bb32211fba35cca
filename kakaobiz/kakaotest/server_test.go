package kakaotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp's server janitors: the worker-pool cleaner sleeps out its
		// period after Shutdown; the date updater is process-wide.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type caller struct {
	t   *testing.T
	s   *Server
	hc  *http.Client
	tok string
}

func newCaller(t *testing.T, cfg Config) *caller {
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() { tr.CloseIdleConnections(); s.Close() })
	return &caller{t: t, s: s, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

func (c *caller) post(path, auth, ctype, body string) (int, http.Header, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.s.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", ctype)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header, m
}

func (c *caller) token() {
	c.t.Helper()
	st, _, m := c.post("/v2/oauth/token", "Basic cmVsYXk6c2VjcmV0", "application/x-www-form-urlencoded", "grant_type=client_credentials")
	if st != 200 || m["access_token"] == nil || m["expires_in"] != float64(3600) {
		c.t.Fatalf("token: %d %v", st, m)
	}
	c.tok = m["access_token"].(string)
}

func (c *caller) send(cid, phone string) (int, http.Header, map[string]any) {
	return c.post("/v2/send/kakao", "Bearer "+c.tok, "application/json",
		fmt.Sprintf(`{"message_type":"AT","sender_key":"k","cid":%q,"template_code":"t","phone_number":%q,"message":"hi"}`, cid, phone))
}

func TestTokenExpiryAndDuplicates(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newCaller(t, Config{TokenTTL: time.Hour, Now: clock.Now})
	if st, _, m := c.post("/v2/oauth/token", "Basic bad", "application/x-www-form-urlencoded", "grant_type=client_credentials"); st != 401 || m["error"] != "invalid_client" {
		t.Fatalf("bad client: %d %v", st, m)
	}
	c.token()
	if st, _, m := c.send("s1", "01000000000"); st != 200 || m["code"] != "1000" || m["cid"] != "s1" {
		t.Fatalf("send: %d %v", st, m)
	}
	if st, _, m := c.send("s1", "01000000000"); st != 409 || m["code"] != "4090" {
		t.Fatalf("duplicate: %d %v", st, m)
	}
	clock.Add(time.Hour)
	if st, _, m := c.send("s2", "01000000000"); st != 401 || m["error"] != "invalid_token" {
		t.Fatalf("expired token: %d %v", st, m)
	}
	st := c.s.Stats()
	if st.Accepted != 1 || st.Billed != 1 || st.Duplicates != 1 || st.TokensIssued != 1 || st.Unauthorized != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBurstsAndRetryAfter(t *testing.T) {
	c := newCaller(t, Config{RetryAfter: 1500 * time.Millisecond})
	c.token()
	c.s.Burst(OutcomeHTTP429, 2)
	for i := range 2 {
		st, h, _ := c.send(fmt.Sprint("b", i), "01000000000")
		if st != 429 || h.Get("Retry-After") != "2" {
			t.Fatalf("burst %d: %d Retry-After %q", i, st, h.Get("Retry-After"))
		}
	}
	if st, _, _ := c.send("b0", "01000000000"); st != 200 {
		t.Fatalf("after burst: %d; a throttled serial was not accepted, so it is not a duplicate", st)
	}
}

// The mix is deterministic for a seed (sequential arrivals).
func TestMixDeterministic(t *testing.T) {
	mix, err := ParseMix("1000:5, 3018:3,3005:2")
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []string {
		c := newCaller(t, Config{Mix: mix, Seed: seed, FinalAfter: time.Hour})
		c.token()
		var codes []string
		for i := range 40 {
			_, _, m := c.send(fmt.Sprint("m", i), "01000000000")
			codes = append(codes, m["code"].(string))
		}
		return codes
	}
	a, b, other := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different outcomes:\n%v\n%v", a, b)
	}
	if slices.Equal(a, other) {
		t.Fatalf("different seeds, same outcomes: %v", a)
	}
	for _, want := range []string{"1000", "3018", "3005"} {
		if !slices.Contains(a, want) {
			t.Fatalf("code %s never drawn in %v", want, a)
		}
	}
}

func TestParseMixErrors(t *testing.T) {
	for _, bad := range []string{"1000", "1000:x", ":1", "1000:-1"} {
		if _, err := ParseMix(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseMix(%q) = %v", bad, err)
		}
	}
	if _, err := NewServer(Config{Mix: []Weighted{{"1000", 0}}}); !errors.Is(err, ErrConfig) {
		t.Errorf("zero-weight mix accepted: %v", err)
	}
}

// Close releases an answer held for a timeout outcome promptly.
func TestCloseReleasesHeld(t *testing.T) {
	c := newCaller(t, Config{Hold: time.Hour})
	c.token()
	c.s.Burst(OutcomeTimeout, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("POST", c.s.URL()+"/v2/send/kakao", strings.NewReader(
			`{"message_type":"AT","sender_key":"k","cid":"h1","phone_number":"010","message":"hi"}`))
		req.Header.Set("Authorization", "Bearer "+c.tok)
		if resp, err := c.hc.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for c.s.Stats().Accepted == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll until the request is held
	}
	start := time.Now()
	c.s.Close()
	<-done
	// A Close that waited for the held answer would take the hour; 10 s
	// tells that apart on a busy machine.
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Close took %v with a held answer", d)
	}
}
