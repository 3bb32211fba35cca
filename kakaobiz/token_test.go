package kakaobiz_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/kakaobiz/kakaotest"
)

// sendBatch sends n messages at once and fails on anything but Delivered.
func sendBatch(t *testing.T, cli *kakaobiz.Client, prefix string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			res, err := cli.Send(ctxT(t), alimTalk(fmt.Sprintf("%s%d", prefix, i), "01012345678"))
			if err == nil && res.Action != kakaobiz.Delivered {
				err = fmt.Errorf("%s: %v %s", res.Serial, res.Action, res.Code)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Exactly one token request per expiry, however many sends run at once:
// at start, after the server expired every token (401s), and when the
// token nears its expiry on the client's clock.
func TestTokenRefreshUnderLoad(t *testing.T) {
	e := newEnv(t, kakaotest.Config{TokenTTL: time.Hour, Latency: 2 * time.Millisecond}, func(c *kakaobiz.Config) {
		c.MaxConns = 16
		c.RefreshBefore = time.Minute
	})
	const n = 64
	sendBatch(t, e.cli, "a", n)
	if st := e.srv.Stats(); st.TokensIssued != 1 {
		t.Fatalf("start: %d tokens issued, want 1", st.TokensIssued)
	}

	e.srv.ExpireTokens()
	sendBatch(t, e.cli, "b", n)
	st := e.srv.Stats()
	if st.TokensIssued != 2 || st.Unauthorized == 0 {
		t.Fatalf("after server expiry: %d tokens, %d 401s; want 2 tokens and some 401s", st.TokensIssued, st.Unauthorized)
	}

	// Within RefreshBefore of the expiry: refreshed early, without a 401.
	e.clock.Advance(time.Hour - 30*time.Second)
	unauth := st.Unauthorized
	sendBatch(t, e.cli, "c", n)
	st = e.srv.Stats()
	if st.TokensIssued != 3 || st.Unauthorized != unauth {
		t.Fatalf("near expiry: %d tokens, %d new 401s; want 3 tokens, none", st.TokensIssued, st.Unauthorized-unauth)
	}
	if got := e.cli.TokenRefreshes(); got != 3 {
		t.Fatalf("client counted %d refreshes, want 3", got)
	}
	if st.Billed != 3*n {
		t.Fatalf("billed %d, want %d", st.Billed, 3*n)
	}
}

func TestBadCredentials(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, func(c *kakaobiz.Config) {
		c.ClientSecret = "wrong"
		c.MaxAttempts = 2
	})
	res, err := e.cli.Send(ctxT(t), alimTalk("bc1", "01012345678"))
	if err != nil || res.Action != kakaobiz.FallbackAlert || e.cli.OperatorAlerts() != 1 {
		t.Fatalf("Send = %+v, %v; want FallbackAlert and an operator alert", res, err)
	}
	if st := e.srv.Stats(); st.Sends != 0 {
		t.Fatalf("%d sends without a token", st.Sends)
	}
}

// The pool never opens more than MaxConns connections; callers beyond it
// queue and all of them succeed.
func TestBoundedConnections(t *testing.T) {
	e := newEnv(t, kakaotest.Config{Latency: 5 * time.Millisecond}, func(c *kakaobiz.Config) {
		c.MaxConns = 4
	})
	sendBatch(t, e.cli, "m", 64)
	st := e.srv.Stats()
	if st.MaxConns > 4 || st.MaxConns < 2 {
		t.Fatalf("server saw up to %d connections at once, want 2..4", st.MaxConns)
	}
	if st.Billed != 64 {
		t.Fatalf("billed %d, want 64", st.Billed)
	}
}

// A caller queued for a slot gives up when its context ends.
func TestQueuedCallerCancelled(t *testing.T) {
	e := newEnv(t, kakaotest.Config{Hold: 3 * time.Second}, func(c *kakaobiz.Config) {
		c.MaxConns = 1
		c.MaxAttempts = 1
		c.RequestTimeout = time.Second
	})
	e.srv.Burst(kakaotest.OutcomeTimeout, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = e.cli.Send(ctxT(t), alimTalk("q1", "01012345678"))
	}()
	deadline := time.Now().Add(30 * time.Second)
	for e.srv.Stats().Sends == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll for the first send to hold the slot
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.cli.Send(ctx, alimTalk("q2", "01012345678")); err == nil {
		t.Fatal("queued Send succeeded with a dead context")
	}
	<-done
}
