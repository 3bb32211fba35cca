package smpp_test

import (
	"context"
	"testing/synctest"

	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func TestDeadPeerDetected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := smpptest.NewUnstarted(smpptest.Config{Behavior: smpptest.Behavior{HalfOpenAfter: 1}})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.ResponseTimeout, cfg.EnquireLinkInterval = 300*time.Millisecond, 200*time.Millisecond
		s := pipeSession(t, srv, cfg)
		defer s.Close(context.Background())
		start := time.Now()
		// The submit makes the socket half-open: it times out, and the
		// enquire_link that follows goes unanswered.
		if _, err := s.Submit(ctxT(t, 30*time.Second), sm(1)); !errors.Is(err, smpp.ErrTimeout) {
			t.Fatalf("submit to a half-open SMSC: %v, want ErrTimeout", err)
		}
		for srv.Stats().Binds < 2 {
			time.Sleep(time.Millisecond)
		}
		tick := cfg.EnquireLinkInterval / 4
		limit := cfg.EnquireLinkInterval + cfg.ResponseTimeout + 2*tick + cfg.ReconnectMax
		if d := time.Since(start); d > limit {
			t.Fatalf("dead peer replaced after %v, want within %v", d, limit)
		}
		if v := metricValue(t, s, `relay_smpp_dead_peer_total`); v != 1 {
			t.Fatalf("dead peer counter = %v", v)
		}
	})
}

func TestRebindFailsInFlightAsRetryable(t *testing.T) {
	srv := newServer(t, smpptest.Config{Behavior: smpptest.Behavior{RespDelay: 100 * time.Millisecond, CloseAfter: 4}})
	s := newSession(t, fastConfig(srv.Addr()))
	var wg sync.WaitGroup
	var mu sync.Mutex
	lost := 0
	for i := range 4 {
		wg.Go(func() {
			_, err := s.Submit(ctxT(t, 30*time.Second), sm(i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, smpp.ErrConnLost) && smpp.Temporary(err):
				lost++
			case err != nil:
				t.Errorf("in-flight submit: %v, want ErrConnLost", err)
			}
		})
	}
	wg.Wait()
	if lost != 4 {
		t.Fatalf("%d of 4 in-flight submits came back as ErrConnLost", lost)
	}
	srv.SetBehavior(smpptest.Behavior{})
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(5)); err != nil {
		t.Fatalf("submit after rebind: %v", err)
	}
	if st := srv.Stats(); st.Binds != 2 {
		t.Fatalf("binds = %d, want 2", st.Binds)
	}
}

func TestOneSocketPerBindAcrossDrops(t *testing.T) {
	for _, mode := range []smpp.BindMode{smpp.BindTransceiver, smpp.BindTxRx} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := newServer(t, smpptest.Config{Behavior: smpptest.Behavior{CloseAfter: 1}})
			cfg := fastConfig(srv.Addr())
			cfg.Mode = mode
			cfg.ReconnectMin, cfg.ReconnectMax = time.Millisecond, 2*time.Millisecond
			// Count the sockets the session holds open at once on its own
			// side: the server learns of a close only when it reads EOF, so
			// its count can lag behind a quick redial.
			var open, most atomic.Int32
			cfg.Dial = func(ctx context.Context) (net.Conn, error) {
				nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr())
				if err != nil {
					return nil, err
				}
				n := open.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				return &countedConn{Conn: nc, open: &open}, nil
			}
			s := newSession(t, cfg)
			for i := range 15 {
				if _, err := s.Submit(ctxT(t, 30*time.Second), sm(i)); !errors.Is(err, smpp.ErrConnLost) {
					t.Fatalf("submit %d: %v, want ErrConnLost", i, err)
				}
			}
			want := 1
			if mode == smpp.BindTxRx {
				want = 2
			}
			for range 5 {
				waitFor(t, 30*time.Second, "rebound", func() bool { now, _ := srv.OpenSockets("relay"); return now == want })
				srv.Kick("relay") // the receiver drops too
			}
			waitFor(t, 30*time.Second, "rebound", func() bool { now, _ := srv.OpenSockets("relay"); return now == want })
			if m := most.Load(); m != int32(want) {
				t.Fatalf("the session held %d sockets open at once, want %d", m, want)
			}
			if st := srv.Stats(); st.Binds < 15 {
				t.Fatalf("binds = %d after 15 drops", st.Binds)
			}
		})
	}
}

// countedConn counts itself out of open when it is closed.
type countedConn struct {
	net.Conn
	open *atomic.Int32
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}
