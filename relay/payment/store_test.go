package payment

import (
	"context"
	"log/slog"
	"testing"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// TestSubmitIdempotentOnStore repeats an event against the real store: the
// second submission creates nothing and returns the first ids.
func TestSubmitIdempotentOnStore(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := NewRegistry([]Subscription{sample(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub := &Submitter{Registry: reg, Store: st}
	ctx := context.Background()
	ev := event(KindDeposit, MethodVirtualAccount)
	ids1, dup1, err := sub.Submit(ctx, ev)
	if err != nil || dup1 || len(ids1) != 3 {
		t.Fatalf("first: %v %v %v", ids1, dup1, err)
	}
	ids2, dup2, err := sub.Submit(ctx, ev)
	if err != nil || !dup2 || len(ids2) != 3 {
		t.Fatalf("second: %v %v %v", ids2, dup2, err)
	}
	for i := range ids1 {
		if ids1[i] != ids2[i] {
			t.Fatalf("ids differ: %v %v", ids1, ids2)
		}
	}
	n := 0
	for m, err := range st.Export(ev.At.AddDate(-1, 0, 0), ev.At.AddDate(1, 0, 0)) {
		if err != nil {
			t.Fatal(err)
		}
		if m.Product != message.ProductPaymentAlimTalk || m.Sender != FallbackSender {
			t.Fatalf("stored %+v", m)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("store holds %d messages, want 3", n)
	}
	m, err := st.ByClientRef("acme", ClientRef(ev.ID, AudienceBuyer, "01055556666"))
	if err != nil || m.ID != ids1[2] || m.Kakao.TemplateCode != "B_APPR" {
		t.Fatalf("buyer message by ref: %+v %v", m, err)
	}
}
