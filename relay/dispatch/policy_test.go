package dispatch

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// policyFixture is a dispatcher with no carriers and no Kakao over a real
// store, for driving the lifecycle policy directly.
func policyFixture(t *testing.T, now time.Time) (*Dispatcher, *store.Store) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := Config{MaxAttempts: 3, RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond, Validity: time.Hour}
	cfg.SetDefaults()
	st, err := store.Open(t.TempDir(), store.Options{Logger: log, Validity: cfg.Validity})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d, err := New(cfg, nil, nil, KakaoConfig{}, Options{Store: st, Logger: log, Door: door.DefaultConfig(),
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return d, st
}

func accept(t *testing.T, st *store.Store, m *message.Message) *message.Message {
	t.Helper()
	out := make([]store.Accepted, 1)
	if err := st.AcceptBatch(context.Background(), []*message.Message{m}, out); err != nil {
		t.Fatal(err)
	}
	m.ID, m.State = out[0].ID, message.StateAccepted
	return m
}

// Every leg follows one policy: a transient answer is retried while the
// leg has attempts; a leg that used them hands the message to its next
// leg (a Kakao message's fallback), and a leg with none fails it.
func TestOnePolicyForEveryLeg(t *testing.T) {
	now := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	d, st := policyFixture(t, now)
	ctx := context.Background()
	transient := message.Result{Source: message.SourceRelay, Code: "unavailable", Reason: "peer down"}
	newSMS := func() *message.Message {
		return accept(t, st, &message.Message{Customer: "shop", Product: message.ProductSMS, Sender: "0212345678",
			Recipient: "01012345678", Text: "안내", AcceptedAt: now})
	}
	newAlimTalk := func(fb message.Fallback) *message.Message {
		return accept(t, st, &message.Message{Customer: "shop", Product: message.ProductAlimTalk, Sender: "0212345678",
			Recipient: "01012345678", Text: "주문하신 상품이 발송되었습니다", Fallback: fb, AcceptedAt: now,
			Kakao: message.Kakao{SenderKey: "key", TemplateCode: "T"}})
	}
	state := func(m *message.Message) *message.Message {
		t.Helper()
		got, err := st.Get(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// Attempts left: back after a backoff, on the same leg, nothing written.
	for _, m := range []*message.Message{newSMS(), newAlimTalk(message.FallbackSMS)} {
		back := newDelay(time.Now, time.Hour)
		m.Attempts = 1
		d.settle(ctx, m, verdictRetry, transient, back)
		if back.len() != 1 || state(m).State != message.StateAccepted {
			t.Fatalf("%v with attempts left: %d waiting, state %v", m.Product, back.len(), state(m).State)
		}
	}

	// Attempts used: the SMS fails; the AlimTalk goes to its fallback leg.
	sms, at, none := newSMS(), newAlimTalk(message.FallbackSMS), newAlimTalk(message.FallbackNone)
	for _, m := range []*message.Message{sms, at, none} {
		m.Attempts = 3
		d.settle(ctx, m, verdictRetry, transient, newDelay(time.Now, time.Hour))
	}
	if got := state(sms); got.State != message.StateFailed || !strings.Contains(got.Result.Reason, "gave up after 3 attempts") {
		t.Fatalf("SMS after its attempts: %v %q", got.State, got.Result.Reason)
	}
	if got := state(at); got.State != message.StateQueued || got.Leg != 1 || got.Billed != message.ProductSMS {
		t.Fatalf("AlimTalk after its attempts: %v leg %d billed %v, want queued on an SMS leg", got.State, got.Leg, got.Billed)
	}
	if got := state(none); got.State != message.StateFailed || !strings.Contains(got.Result.Reason, "no fallback") {
		t.Fatalf("AlimTalk without fallback after its attempts: %v %q", got.State, got.Result.Reason)
	}
	if n := d.pending.len(); n != 1 {
		t.Fatalf("%d messages queued for routing, want the one fallback leg", n)
	}

	// The fallback leg is an SMS leg like any other: it has its own
	// attempts, and after them there is no next leg.
	leg := state(at)
	leg.Attempts = 3 + 3
	d.settle(ctx, leg, verdictRetry, transient, newDelay(time.Now, time.Hour))
	if got := state(at); got.State != message.StateFailed || got.Leg != 1 {
		t.Fatalf("fallback leg after its attempts: %v leg %d", got.State, got.Leg)
	}

	// A permanent answer fails at once, with no fallback; "cannot deliver"
	// falls back at once.
	fail, fall := newAlimTalk(message.FallbackSMS), newAlimTalk(message.FallbackLMS)
	d.settle(ctx, fail, verdictFail, message.Result{Source: message.SourceKakao, Code: "4000", Reason: "bad request"}, newDelay(time.Now, time.Hour))
	d.settle(ctx, fall, verdictFallBack, message.Result{Source: message.SourceKakao, Code: "3018", Reason: "blocked"}, newDelay(time.Now, time.Hour))
	if got := state(fail); got.State != message.StateFailed || got.Result.Code != "4000" {
		t.Fatalf("refused AlimTalk: %v %q", got.State, got.Result.Code)
	}
	if got := state(fall); got.State != message.StateQueued || got.Billed != message.ProductLMS {
		t.Fatalf("AlimTalk Kakao cannot deliver: %v billed %v, want an LMS leg", got.State, got.Billed)
	}
}

// No leg is tried when too little time is left before the deadline, and a
// retry whose backoff would pass the deadline fails the message instead.
func TestPolicyKeepsTheDeadline(t *testing.T) {
	accepted := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	d, st := policyFixture(t, accepted.Add(time.Hour-time.Millisecond))
	ctx := context.Background()
	m := accept(t, st, &message.Message{Customer: "shop", Product: message.ProductAlimTalk, Sender: "0212345678",
		Recipient: "01012345678", Text: "안내", Fallback: message.FallbackSMS, AcceptedAt: accepted,
		Kakao: message.Kakao{SenderKey: "key", TemplateCode: "T"}})
	if d.mayAttempt(ctx, m) {
		t.Fatal("an attempt 1 ms before the deadline was allowed")
	}
	got, err := st.Get(m.ID)
	if err != nil || got.State != message.StateFailed || got.Result.Code != "deadline" {
		t.Fatalf("%+v, %v: want failed for the deadline", got, err)
	}
}
