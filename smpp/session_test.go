package smpp_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func TestSubmitCorrelatesUnderConcurrency(t *testing.T) {
	srv := newServer(t, smpptest.Config{Users: map[string]string{"relay": "secret"}})
	s := newSession(t, fastConfig(srv.Addr()))
	const workers, each = 8, 50
	var mu sync.Mutex
	ids := map[string]string{} // message id → destination
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m := sm(w*each + i)
				r, err := s.Submit(ctxT(t, 30*time.Second), m)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids[r.MessageID] = m.Dest.Addr
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(ids) != workers*each {
		t.Fatalf("got %d distinct ids, want %d", len(ids), workers*each)
	}
	for _, sub := range srv.Submitted() {
		if ids[sub.MessageID] != sub.SM.Dest.Addr {
			t.Fatalf("id %s answered to %q, server got it for %q", sub.MessageID, ids[sub.MessageID], sub.SM.Dest.Addr)
		}
	}
}

func TestSubmitStatusIsTypedError(t *testing.T) {
	srv := newServer(t, smpptest.Config{Behavior: smpptest.Behavior{BusyEvery: 1, BusyBurst: 1, BusyStatus: pdu.StatusMsgQFul}})
	cfg := fastConfig(srv.Addr())
	cfg.ThrottlePause = time.Millisecond
	s := newSession(t, cfg)
	_, err := s.Submit(ctxT(t, 30*time.Second), sm(1)) // first one passes
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Submit(ctxT(t, 30*time.Second), sm(2))
	var st pdu.Status
	if !errors.As(err, &st) || st != pdu.StatusMsgQFul {
		t.Fatalf("err = %v, want ESME_RMSGQFUL", err)
	}
	if !smpp.Temporary(err) {
		t.Fatal("queue full should be temporary")
	}
}

func TestBadPasswordNeverBinds(t *testing.T) {
	srv := newServer(t, smpptest.Config{Users: map[string]string{"relay": "other"}})
	cfg := fastConfig(srv.Addr())
	cfg.FailFast = true
	s, err := smpp.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctxT(t, 30*time.Second))
	waitFor(t, 30*time.Second, "refused binds", func() bool { return srv.Stats().BindsRefused >= 2 })
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(1)); !errors.Is(err, smpp.ErrNotBound) {
		t.Fatalf("err = %v, want ErrNotBound", err)
	}
}

func TestCloseDoesNotWaitForABindThatNeverComes(t *testing.T) {
	srv := newServer(t, smpptest.Config{Users: map[string]string{"relay": "other"}})
	s, err := smpp.NewSession(fastConfig(srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() {
		_, err := s.Submit(ctxT(t, time.Minute), sm(1))
		errs <- err
	}()
	waitFor(t, 30*time.Second, "a refused bind", func() bool { return srv.Stats().BindsRefused >= 1 })
	start := time.Now()
	if err := s.Close(ctxT(t, 30*time.Second)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// A Close that waited for the bind would wait until its context or the
	// submit's ran out (30 s, a minute); 10 s tells that apart on a busy
	// machine, where a prompt Close can still take a second or more.
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if err := <-errs; !errors.Is(err, smpp.ErrClosed) {
		t.Fatalf("submit waiting for a bind: %v, want ErrClosed", err)
	}
}

func TestQueryCancelAndDataSM(t *testing.T) {
	srv := newServer(t, smpptest.Config{ReceiptDelay: time.Hour})
	s := newSession(t, fastConfig(srv.Addr()))
	ctx := ctxT(t, 30*time.Second)
	m := sm(1)
	m.RegisteredDelivery = 1
	r, err := s.Submit(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.QuerySM(ctx, &pdu.QuerySM{MessageID: r.MessageID, Source: m.Source})
	if err != nil || q.MessageState != pdu.StateEnroute {
		t.Fatalf("query_sm: %+v, %v", q, err)
	}
	if err := s.CancelSM(ctx, &pdu.CancelSM{MessageID: r.MessageID, Source: m.Source, Dest: m.Dest}); err != nil {
		t.Fatalf("cancel_sm: %v", err)
	}
	if err := s.CancelSM(ctx, &pdu.CancelSM{MessageID: r.MessageID, Source: m.Source, Dest: m.Dest}); !errors.Is(err, pdu.StatusCancelFail) {
		t.Fatalf("second cancel_sm: %v, want ESME_RCANCELFAIL", err)
	}
	if _, err := s.QuerySM(ctx, &pdu.QuerySM{MessageID: "nope"}); !errors.Is(err, pdu.StatusQueryFail) {
		t.Fatalf("query_sm of an unknown id: %v", err)
	}
	d := &pdu.DataSM{Source: m.Source, Dest: m.Dest}
	_ = d.TLVs.SetMessagePayload([]byte("payload"))
	if r, err := s.DataSM(ctx, d); err != nil || r.MessageID == "" {
		t.Fatalf("data_sm: %+v, %v", r, err)
	}
}

func TestUnencodableSubmitFailsAtOnce(t *testing.T) {
	srv := newServer(t, smpptest.Config{})
	cfg := fastConfig(srv.Addr())
	cfg.Window = 1
	s := newSession(t, cfg)
	bad := sm(1)
	bad.ShortMessage = make([]byte, 300) // over 254: must go in message_payload
	for range 3 {                        // the window slot comes back each time
		_, err := s.Submit(ctxT(t, 30*time.Second), bad)
		var st pdu.Status
		if err == nil || errors.As(err, &st) || smpp.Temporary(err) {
			t.Fatalf("err = %v, want the codec's permanent error", err)
		}
	}
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(2)); err != nil {
		t.Fatal(err)
	}
	if n := srv.Stats().Submits; n != 1 {
		t.Fatalf("server saw %d submits", n)
	}
}

func TestReceiverOnlyCannotSubmit(t *testing.T) {
	srv := newServer(t, smpptest.Config{})
	cfg := fastConfig(srv.Addr())
	cfg.Mode = smpp.BindReceiver
	s := newSession(t, cfg)
	if _, err := s.Submit(ctxT(t, 30*time.Second), sm(1)); !errors.Is(err, smpp.ErrNoTransmitter) {
		t.Fatalf("err = %v, want ErrNoTransmitter", err)
	}
	if now, _ := srv.OpenSockets("relay"); now != 1 {
		t.Fatalf("open sockets %d", now)
	}
}
