package kakaobiz_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/kakaobiz/kakaotest"
)

// Every code class goes through the client against the simulated server.
func TestCodeClasses(t *testing.T) {
	cases := []struct {
		code   string
		action kakaobiz.Action
		alert  bool
		billed bool
	}{
		{"1000", kakaobiz.Delivered, false, true},
		{"3018", kakaobiz.Fallback, false, false},
		{"3019", kakaobiz.Fallback, false, false},
		{"3020", kakaobiz.Fallback, false, false},
		{"3021", kakaobiz.Fallback, false, false},
		{"1021", kakaobiz.Fallback, false, false},
		{"1025", kakaobiz.Fallback, false, false},
		{"3014", kakaobiz.FallbackAlert, true, false},
		{"3015", kakaobiz.FallbackAlert, true, false},
		{"3016", kakaobiz.FallbackAlert, true, false},
		{"3025", kakaobiz.FallbackAlert, true, false},
		{"3027", kakaobiz.FallbackAlert, true, false},
		{"3040", kakaobiz.FallbackAlert, true, false},
		{"3005", kakaobiz.Wait, false, false},
		{"3008", kakaobiz.Fail, false, false},
		{"4001", kakaobiz.Fail, false, false},
		{"4030", kakaobiz.Fail, false, false},
	}
	force := map[string]string{}
	for i, c := range cases {
		force[fmt.Sprintf("0101000%04d", i)] = c.code
	}
	e := newEnv(t, kakaotest.Config{Force: force, FinalAfter: time.Hour}, nil)
	var wantBilled int64
	for i, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			alerts := e.cli.OperatorAlerts()
			res, err := e.cli.Send(ctxT(t), alimTalk(fmt.Sprintf("s%d", i), fmt.Sprintf("0101000%04d", i)))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if res.Action != c.action || res.Code != c.code || res.Reason == "" {
				t.Fatalf("got %v %q %q, want %v %q", res.Action, res.Code, res.Reason, c.action, c.code)
			}
			if got := e.cli.OperatorAlerts() - alerts; (got == 1) != c.alert {
				t.Fatalf("operator alerts +%d, want alert=%v", got, c.alert)
			}
			if c.billed {
				wantBilled++
			}
		})
	}
	if st := e.srv.Stats(); st.Billed != wantBilled || st.Sends != int64(len(cases)) {
		t.Fatalf("server billed %d of %d sends; want %d of %d", st.Billed, st.Sends, wantBilled, len(cases))
	}
}

// A 3005 waits; Lookup with the same serial brings the final result once
// the server has it, and nothing is sent twice.
func TestWaitThenLookup(t *testing.T) {
	e := newEnv(t, kakaotest.Config{
		Force:      map[string]string{"01011112222": "3005"},
		FinalAfter: 10 * time.Minute,
		FinalCode:  "1000",
	}, nil)
	res, err := e.cli.Send(ctxT(t), alimTalk("w1", "01011112222"))
	if err != nil || res.Action != kakaobiz.Wait || res.Code != "3005" {
		t.Fatalf("Send = %+v, %v; want Wait 3005", res, err)
	}
	res, err = e.cli.Lookup(ctxT(t), "w1")
	if err != nil || res.Action != kakaobiz.Wait {
		t.Fatalf("early Lookup = %+v, %v; want still Wait", res, err)
	}
	e.clock.Advance(10 * time.Minute)
	res, err = e.cli.Lookup(ctxT(t), "w1")
	if err != nil || res.Action != kakaobiz.Delivered || res.Code != "1000" {
		t.Fatalf("final Lookup = %+v, %v; want Delivered", res, err)
	}
	if _, err := e.cli.Lookup(ctxT(t), "never-sent"); !errors.Is(err, kakaobiz.ErrNotFound) {
		t.Fatalf("Lookup unknown = %v, want ErrNotFound", err)
	}
	if st := e.srv.Stats(); st.Sends != 1 || st.Billed != 1 {
		t.Fatalf("server stats %+v; want 1 send, 1 billed", st)
	}
}

// A send that timed out after the server accepted it is retried with the
// same serial, refused as a duplicate, looked up, and charged once.
// The timeout applies to the retry and the look-up too, which a healthy
// server answers: 2 s lets them through on a busy machine (150 ms did not
// always), and the held first answer outlasts it (until Close).
func TestTimeoutRetriedChargedOnce(t *testing.T) {
	e := newEnv(t, kakaotest.Config{Hold: time.Hour}, func(c *kakaobiz.Config) {
		c.RequestTimeout = 2 * time.Second
	})
	e.srv.Burst(kakaotest.OutcomeTimeout, 1)
	res, err := e.cli.Send(ctxT(t), alimTalk("t1", "01012345678"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Action != kakaobiz.Delivered || !res.Duplicate || res.Attempts != 2 {
		t.Fatalf("got %+v; want Delivered by duplicate lookup on attempt 2", res)
	}
	st := e.srv.Stats()
	if st.Sends != 2 || st.Accepted != 1 || st.Billed != 1 || st.Duplicates != 1 {
		t.Fatalf("server %+v; want 2 sends, 1 accepted, 1 billed, 1 duplicate", st)
	}
}

// A connection reset after the request was read is treated the same way.
func TestResetRetriedChargedOnce(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, nil)
	e.srv.Burst(kakaotest.OutcomeReset, 1)
	res, err := e.cli.Send(ctxT(t), alimTalk("r1", "01012345678"))
	if err != nil || res.Action != kakaobiz.Delivered || !res.Duplicate {
		t.Fatalf("Send = %+v, %v; want Delivered by duplicate lookup", res, err)
	}
	if st := e.srv.Stats(); st.Billed != 1 || st.Accepted != 1 {
		t.Fatalf("server %+v; want charged once", st)
	}
}

// 429 and 5xx are retried with the same serial after the server's
// Retry-After (or the backoff when there is none).
func TestRetryAfterHonoured(t *testing.T) {
	e := newEnv(t, kakaotest.Config{RetryAfter: 7 * time.Second}, func(c *kakaobiz.Config) {
		c.BackoffBase = 100 * time.Millisecond
	})
	e.srv.Burst(kakaotest.OutcomeHTTP429, 1)
	e.srv.Burst(kakaotest.OutcomeHTTP503, 1)
	res, err := e.cli.Send(ctxT(t), alimTalk("ra1", "01012345678"))
	if err != nil || res.Action != kakaobiz.Delivered || res.Attempts != 3 || res.Duplicate {
		t.Fatalf("Send = %+v, %v; want Delivered on attempt 3", res, err)
	}
	if got, want := e.clock.Slept(), []time.Duration{7 * time.Second, 7 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("slept %v, want %v", got, want)
	}
	if st := e.srv.Stats(); st.Sends != 3 || st.Billed != 1 || st.Accepted != 1 {
		t.Fatalf("server %+v", st)
	}
	if code, ok := e.srv.Result("ra1"); !ok || code != "1000" {
		t.Fatalf("server holds %q for the serial (found %v)", code, ok)
	}
}

func TestBackoffWithoutRetryAfterThenExhausted(t *testing.T) {
	e := newEnv(t, kakaotest.Config{RetryAfter: -1, Force: map[string]string{"01099999999": kakaotest.OutcomeHTTP500}},
		func(c *kakaobiz.Config) {
			c.BackoffBase = 100 * time.Millisecond
			c.BackoffMax = 300 * time.Millisecond
			c.MaxAttempts = 4
		})
	res, err := e.cli.Send(ctxT(t), alimTalk("b1", "01099999999"))
	if !errors.Is(err, kakaobiz.ErrRetriesExhausted) || res.Action != kakaobiz.Retry || res.Attempts != 4 {
		t.Fatalf("Send = %+v, %v; want Retry, ErrRetriesExhausted after 4", res, err)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if got := e.clock.Slept(); !slices.Equal(got, want) {
		t.Fatalf("slept %v, want %v", got, want)
	}
	if st := e.srv.Stats(); st.Sends != 4 || st.Accepted != 0 {
		t.Fatalf("server %+v", st)
	}
}

// Garbage and oversized answers give typed errors, never a panic.
func TestBadAnswers(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, func(c *kakaobiz.Config) {
		c.MaxAttempts = 1
		c.MaxResponseBodySize = 4096
	})
	e.srv.Burst(kakaotest.OutcomeGarbage, 1)
	res, err := e.cli.Send(ctxT(t), alimTalk("g1", "01012345678"))
	if !errors.Is(err, kakaobiz.ErrBadResponse) || !errors.Is(err, kakaobiz.ErrRetriesExhausted) || res.Action != kakaobiz.Retry {
		t.Fatalf("garbage: %+v, %v", res, err)
	}
	e.srv.Burst(kakaotest.OutcomeHuge, 1)
	res, err = e.cli.Send(ctxT(t), alimTalk("h1", "01012345678"))
	if !errors.Is(err, kakaobiz.ErrBodyTooLarge) || res.Action != kakaobiz.Retry {
		t.Fatalf("huge: %+v, %v", res, err)
	}
	// The garbage one was accepted: sending it again finds the duplicate.
	res, err = e.cli.Send(ctxT(t), alimTalk("g1", "01012345678"))
	if err != nil || res.Action != kakaobiz.Delivered || !res.Duplicate {
		t.Fatalf("resend: %+v, %v", res, err)
	}
	if st := e.srv.Stats(); st.Billed != 1 {
		t.Fatalf("billed %d, want 1", st.Billed)
	}
}

func TestInvalidRequests(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, nil)
	bad := []func(r *kakaobiz.Request){
		func(r *kakaobiz.Request) { r.Serial = "" },
		func(r *kakaobiz.Request) { r.Serial = "0123456789012345678901234567890" },
		func(r *kakaobiz.Request) { r.Recipient = "010-1234" },
		func(r *kakaobiz.Request) { r.Type = "XX" },
		func(r *kakaobiz.Request) { r.TemplateCode = "" },
		func(r *kakaobiz.Request) { r.Ad = true },
		func(r *kakaobiz.Request) { r.Buttons = []byte(`[{`) },
		func(r *kakaobiz.Request) { r.Type, r.ImageURL = kakaobiz.FriendTalkImage, "" },
		func(r *kakaobiz.Request) { r.Text = "" },
		func(r *kakaobiz.Request) { r.Text = strings.Repeat("가", 1001) },
		func(r *kakaobiz.Request) {
			r.Type, r.TemplateCode, r.ImageURL, r.Text = kakaobiz.FriendTalkImage, "", "https://x/1.jpg", strings.Repeat("a", 401)
		},
	}
	for i, mod := range bad {
		r := alimTalk("x", "01012345678")
		mod(r)
		if _, err := e.cli.Send(ctxT(t), r); !errors.Is(err, kakaobiz.ErrInvalidRequest) {
			t.Errorf("case %d: err %v, want ErrInvalidRequest", i, err)
		}
	}
	if st := e.srv.Stats(); st.Requests != 0 {
		t.Fatalf("server saw %d requests for invalid messages", st.Requests)
	}
}

func TestFriendTalkImageAd(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, nil)
	r := &kakaobiz.Request{
		Serial: "ft1", Type: kakaobiz.FriendTalkImage, SenderKey: "k", Recipient: "01012345678",
		Text: "(광고) 봄 세일\n무료수신거부 080-000-0000", ImageURL: "https://img.example/1.jpg", Ad: true,
	}
	res, err := e.cli.Send(ctxT(t), r)
	if err != nil || res.Action != kakaobiz.Delivered {
		t.Fatalf("Send = %+v, %v", res, err)
	}
}

func TestClosedClient(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, nil)
	e.cli.Close()
	if _, err := e.cli.Send(ctxT(t), alimTalk("c1", "01012345678")); !errors.Is(err, kakaobiz.ErrClosed) {
		t.Fatalf("err %v, want ErrClosed", err)
	}
}

func TestCancelledContext(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.cli.Send(ctx, alimTalk("cx", "01012345678")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if st := e.srv.Stats(); st.Sends != 0 {
		t.Fatalf("%d sends with a cancelled context", st.Sends)
	}
}
