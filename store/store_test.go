package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

func TestAcceptIdempotent(t *testing.T) {
	s := openTest(t, nil, newClock())
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]message.ID, 32)
	dups := make([]bool, 32)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			ids[i], dups[i], err = s.Accept(ctx, sms("c1", "ref-1"))
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("resubmission got id %s, first %s", ids[i], ids[0])
		}
		if !dups[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d acceptances were not duplicates, want 1", fresh)
	}
	// Another customer may use the same reference.
	other := mustAccept(t, s, sms("c2", "ref-1"))
	if other == ids[0] {
		t.Fatal("two customers share one message")
	}
	m, err := s.ByClientRef("c1", "ref-1")
	if err != nil || m.ID != ids[0] || m.State != message.StateAccepted || m.Text != "안녕하세요" {
		t.Fatalf("ByClientRef: %+v %v", m, err)
	}
	mustVerify(t, s)
}

func TestAcceptRefusesWhatItCannotIndex(t *testing.T) {
	s := openTest(t, nil, nil)
	defer s.Close()
	for _, m := range []*message.Message{
		{Product: message.ProductSMS},
		{Customer: "c", Product: message.ProductAuto},
		{Customer: "c", Product: message.ProductSMS, ClientRef: string(make([]byte, 300))},
	} {
		if _, _, err := s.Accept(context.Background(), m); !errors.Is(err, ErrInvalid) {
			t.Errorf("Accept(%+v) = %v, want ErrInvalid", m, err)
		}
	}
}

func TestStateMachineEnforced(t *testing.T) {
	s := openTest(t, nil, newClock())
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "a"))
	before, _ := s.Get(id)
	// accepted → sent skips two states.
	_, err := s.RecordSubmitResp(ctx, id, "skt", "X1", time.Now())
	if !errors.Is(err, message.ErrIllegalTransition) {
		t.Fatalf("accepted → sent: %v", err)
	}
	if err := s.Transition(ctx, id, message.StateDelivered, nil); !errors.Is(err, message.ErrIllegalTransition) {
		t.Fatalf("accepted → delivered: %v", err)
	}
	after, _ := s.Get(id)
	if *after != *before {
		t.Fatalf("illegal transition changed the record:\n%+v\n%+v", before, after)
	}
	toSent(t, s, id, "X1", time.Now())
	if err := s.Deliver(ctx, id, message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Final means final: no verb moves it again.
	for _, f := range []func() error{
		func() error { return s.Fail(ctx, id, message.Result{}) },
		func() error { return s.Requeue(ctx, id) },
		func() error { return s.Deliver(ctx, id, message.Result{}, time.Now()) },
	} {
		if err := f(); !errors.Is(err, message.ErrIllegalTransition) {
			t.Fatalf("move from delivered: %v", err)
		}
	}
	if _, err := s.Get(12345); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v", err)
	}
	if err := s.MarkQueued(ctx, 12345); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkQueued(missing) = %v", err)
	}
	mustVerify(t, s)
}

func TestIndexesFollowTransitions(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	id := mustAccept(t, s, sms("c1", "a"))
	mustVerify(t, s)
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, id, "skt"); err != nil {
		t.Fatal(err)
	}
	if err := s.Requeue(ctx, id); err != nil { // transient submit error
		t.Fatal(err)
	}
	mustVerify(t, s)
	if err := s.MarkSending(ctx, id, "kt"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordSubmitResp(ctx, id, "kt", "K1", c.Now()); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s)
	m, _ := s.Get(id)
	if m.Attempts != 2 || m.State != message.StateSent || m.Carrier != "kt" || !m.SentAt.Equal(c.Now()) {
		t.Fatalf("after two attempts: %+v", m)
	}
	var open int
	if _, err := s.Recover(func(m *message.Message) error { open++; return nil }); err != nil || open != 1 {
		t.Fatalf("Recover: %d open, %v", open, err)
	}
	out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "kt", CarrierMsgID: "K1", Delivered: true, Final: true,
		Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}})
	if err != nil || out != OutcomeApplied {
		t.Fatalf("receipt: %v %v", out, err)
	}
	mustVerify(t, s)
	open = 0
	if _, err := s.Recover(func(m *message.Message) error { open++; return nil }); err != nil || open != 0 {
		t.Fatalf("Recover after delivery: %d open, %v", open, err)
	}
}

func TestKakaoFallbackBilledAsSMS(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	m := sms("c1", "k")
	m.Product = message.ProductAlimTalk
	m.Fallback = message.FallbackSMS
	id := mustAccept(t, s, m)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.MarkQueued(ctx, id))
	must(s.MarkSending(ctx, id, "kakao"))
	st, err := s.RecordSubmitResp(ctx, id, "kakao", "kk-1", c.Now())
	must(err)
	if st != message.StateKakaoSent {
		t.Fatalf("kakao leg state %s", st)
	}
	must(s.Fallback(ctx, id, message.ProductSMS))
	must(s.MarkSending(ctx, id, "skt"))
	got, _ := s.Get(id)
	if got.State != message.StateSending || got.Leg != 1 || got.Attempts != 2 {
		t.Fatalf("fallback leg: %+v", got)
	}
	toResp, err := s.RecordSubmitResp(ctx, id, "skt", "S-9", c.Now())
	must(err)
	if toResp != message.StateSent {
		t.Fatalf("state %s", toResp)
	}
	out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "S-9", Delivered: true, Final: true})
	if err != nil || out != OutcomeApplied {
		t.Fatalf("%v %v", out, err)
	}
	counts, err := s.MonthCounts("c1", billingMonth(c.Now()))
	must(err)
	if counts[message.ProductSMS] != 1 || counts[message.ProductAlimTalk] != 0 {
		t.Fatalf("counts %v", counts)
	}
	mustVerify(t, s)
}

func TestWritesAfterCloseFail(t *testing.T) {
	s := openTest(t, nil, nil)
	id := mustAccept(t, s, sms("c1", "x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Accept(context.Background(), sms("c1", "y")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	if err := s.MarkQueued(context.Background(), id); !errors.Is(err, ErrClosed) {
		t.Fatalf("MarkQueued after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
