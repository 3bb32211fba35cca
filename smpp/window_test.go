package smpp_test

import (
	"testing/synctest"

	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func TestFullWindowBlocksThenProceeds(t *testing.T) {
	srv := newServer(t, smpptest.Config{Behavior: smpptest.Behavior{RespDelay: 300 * time.Millisecond}})
	cfg := fastConfig(srv.Addr())
	cfg.Window = 2
	s := newSession(t, cfg)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if _, err := s.Submit(ctxT(t, 30*time.Second), sm(i)); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, 30*time.Second, "two submits at the server", func() bool { return srv.Stats().Submits == 2 })
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Submit(short, sm(3)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third submit on a full window: err = %v, want deadline exceeded", err)
	}
	if n := srv.Stats().Submits; n != 2 {
		t.Fatalf("server saw %d submits while the window was full", n)
	}
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(4)); err != nil {
		t.Fatalf("submit after the window freed: %v", err)
	}
	wg.Wait()
}

func TestResponseTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := smpptest.NewUnstarted(smpptest.Config{Behavior: smpptest.Behavior{DropEvery: 1}})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.EnquireLinkInterval = time.Minute
		cfg.ResponseTimeout = 300 * time.Millisecond
		s := pipeSession(t, srv, cfg)
		defer s.Close(context.Background())
		start := time.Now()
		_, err := s.Submit(ctxT(t, 30*time.Second), sm(1))
		if !errors.Is(err, smpp.ErrTimeout) || !smpp.Temporary(err) {
			t.Fatalf("err = %v, want a temporary ErrTimeout", err)
		}
		tick := cfg.ResponseTimeout / 4
		if d := time.Since(start); d < cfg.ResponseTimeout || d > cfg.ResponseTimeout+tick {
			t.Fatalf("timed out after %v, ResponseTimeout %v", d, cfg.ResponseTimeout)
		}
	})
}

func TestGracefulCloseDrainsWindow(t *testing.T) {
	srv := newServer(t, smpptest.Config{Behavior: smpptest.Behavior{RespDelay: 200 * time.Millisecond}})
	s, err := smpp.NewSession(fastConfig(srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitBound(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 5)
	for i := range 5 {
		go func() {
			_, err := s.Submit(ctxT(t, 30*time.Second), sm(i))
			errs <- err
		}()
	}
	waitFor(t, 30*time.Second, "five submits at the server", func() bool { return srv.Stats().Submits == 5 })
	if err := s.Close(ctxT(t, 30*time.Second)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatalf("in-flight submit during Close: %v", err)
		}
	}
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(9)); !errors.Is(err, smpp.ErrClosed) {
		t.Fatalf("submit after Close: %v, want ErrClosed", err)
	}
	waitFor(t, 30*time.Second, "socket closed at the server", func() bool { return srv.Stats().Open == 0 })
}

// TestAbandonedSubmitKeepsItsAnswer: a submit whose caller left on its ctx
// stays pending until its answer comes, and that late answer goes to
// nobody else. The next submits, which may reuse the bind's spare calls,
// each wait for their own answer.
func TestAbandonedSubmitKeepsItsAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 300 * time.Millisecond
		srv := smpptest.NewUnstarted(smpptest.Config{Behavior: smpptest.Behavior{RespDelay: delay}})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.EnquireLinkInterval = time.Minute
		s := pipeSession(t, srv, cfg)
		defer s.Close(ctxT(t, time.Minute)) // a lost window slot fails the test, not hangs it
		short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := s.Submit(short, sm(1)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("submit with a short ctx: err = %v, want deadline exceeded", err)
		}
		for i := 2; i <= 4; i++ {
			start := time.Now()
			if _, err := s.Submit(ctxT(t, time.Minute), sm(i)); err != nil {
				t.Fatalf("submit %d: %v", i, err)
			}
			if d := time.Since(start); d != delay {
				t.Fatalf("submit %d answered after %v, want its own answer after %v", i, d, delay)
			}
		}
	})
}

// A written submit waits for its answer even when its ctx ends first, with
// AwaitWritten; the response timeout still ends a submit never answered.
func TestAwaitWrittenOutlivesCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := smpptest.NewUnstarted(smpptest.Config{Behavior: smpptest.Behavior{RespDelay: time.Second}})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.EnquireLinkInterval = time.Minute
		cfg.AwaitWritten = true
		s := pipeSession(t, srv, cfg)
		defer s.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		resp, err := s.Submit(ctx, sm(1))
		if err != nil || resp.MessageID == "" {
			t.Fatalf("Submit = %+v, %v; want the SMSC's answer after ctx ended", resp, err)
		}
		if d := time.Since(start); d < time.Second {
			t.Fatalf("answered after %v, before the SMSC's delay of 1s", d)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		srv := smpptest.NewUnstarted(smpptest.Config{Behavior: smpptest.Behavior{DropEvery: 1}})
		defer srv.Close()
		cfg := fastConfig("")
		cfg.EnquireLinkInterval = time.Minute
		cfg.ResponseTimeout = 300 * time.Millisecond
		cfg.AwaitWritten = true
		s := pipeSession(t, srv, cfg)
		defer s.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if _, err := s.Submit(ctx, sm(1)); !errors.Is(err, smpp.ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout after the response timeout", err)
		}
	})
}
