package smpp_test

import (
	"context"
	"net"
	"testing/synctest"

	"errors"
	"github.com/msgrelay/relay/smpp"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// countFor submits one after another for d from the first answer on and
// returns how many were answered in that time.
func countFor(t *testing.T, submit func() error, d time.Duration) int {
	t.Helper()
	if err := submit(); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(d)
	n := 0
	for time.Now().Before(end) {
		if err := submit(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// pipeSession runs a session against srv over net.Pipe, for tests inside
// a synctest bubble where time is fake and exact.
func pipeSession(t *testing.T, srv *smpptest.Server, cfg smpp.Config) *smpp.Session {
	t.Helper()
	cfg.Addr = "pipe"
	cfg.Dial = func(context.Context) (net.Conn, error) {
		a, b := net.Pipe()
		srv.ServeConn(b)
		return a, nil
	}
	s, err := smpp.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitBound(ctxT(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRateStartsEmptyAfterEveryBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := smpptest.NewUnstarted(smpptest.Config{})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.TPS, cfg.Burst = 50, 10
		s := pipeSession(t, srv, cfg)
		defer s.Close(context.Background())
		submit := func() error { _, err := s.Submit(ctxT(t, 30*time.Second), sm(1)); return err }
		// The steady rate is TPS − (Burst − 1), about 41/s. A full bucket
		// would let 10 through at once, then 8 more in 200ms. An empty one
		// lets 9 through.
		const window, want = 200 * time.Millisecond, 9
		if n := countFor(t, submit, window); n != want {
			t.Fatalf("first bind: %d submits in %v at about 41/s, want %d", n, window, want)
		}
		time.Sleep(time.Second) // the bucket fills up while idle
		srv.Kick("relay")
		synctest.Wait()
		if err := s.WaitBound(ctxT(t, time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := countFor(t, submit, window); n != want {
			t.Fatalf("after rebind: %d submits in %v at about 41/s, want %d: the bucket was not emptied", n, window, want)
		}
		if st := srv.Stats(); st.Binds != 2 {
			t.Fatalf("binds = %d, want 2", st.Binds)
		}
	})
}

func TestThrottledSlowsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := smpptest.NewUnstarted(smpptest.Config{Behavior: smpptest.Behavior{BusyEvery: 1, BusyBurst: 1}})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.TPS, cfg.Burst = 100, 1
		cfg.ThrottlePause = 150 * time.Millisecond
		s := pipeSession(t, srv, cfg)
		defer s.Close(context.Background())
		if _, err := s.Submit(ctxT(t, 30*time.Second), sm(1)); err != nil {
			t.Fatal(err)
		}
		_, err := s.Submit(ctxT(t, 30*time.Second), sm(2))
		if !errors.Is(err, pdu.StatusThrottled) {
			t.Fatalf("err = %v, want ESME_RTHROTTLED", err)
		}
		start := time.Now()
		if _, err := s.Submit(ctxT(t, 30*time.Second), sm(3)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < cfg.ThrottlePause {
			t.Fatalf("next submit went after %v, want a pause of %v", d, cfg.ThrottlePause)
		}
		// The rate is halved to 50/s: the next submit waits 20ms, not 10ms.
		start = time.Now()
		_, _ = s.Submit(ctxT(t, 30*time.Second), sm(4)) // throttled again: pause again
		if d := time.Since(start); d != 20*time.Millisecond {
			t.Fatalf("submit at the halved rate waited %v, want 20ms", d)
		}
		if v := metricValue(t, s, "relay_smpp_throttled_total"); v != 2 {
			t.Fatalf("throttled counter = %v", v)
		}
	})
}

// A relay sharing an account's rate among binds changes a bind's share
// while it runs: the new ceiling holds from the next submit, both ways.
func TestSetTPSChangesTheCeiling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := smpptest.NewUnstarted(smpptest.Config{})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.TPS = 100
		s := pipeSession(t, srv, cfg)
		defer s.Close(context.Background())
		submit := func() error { _, err := s.Submit(ctxT(t, 30*time.Second), sm(1)); return err }
		const window = time.Second
		if n := countFor(t, submit, window); n != 100 {
			t.Fatalf("at 100/s: %d submits in %v", n, window)
		}
		// The first second after a change may lose a grant to the
		// bucket's accrual at the old rate; it never goes over.
		within := func(n, tps int) bool { return n <= tps && n >= tps-1 }
		s.SetTPS(20)
		if n := countFor(t, submit, window); !within(n, 20) {
			t.Fatalf("after SetTPS(20): %d submits in %v, want 20", n, window)
		}
		if st := s.Status()[0]; st.TPS != 20 || st.Allowed != 20 {
			t.Fatalf("status tps_limit %v tps_allowed %v, want 20", st.TPS, st.Allowed)
		}
		s.SetTPS(50)
		if n := countFor(t, submit, window); !within(n, 50) {
			t.Fatalf("after SetTPS(50): %d submits in %v, want 50", n, window)
		}
	})
}
