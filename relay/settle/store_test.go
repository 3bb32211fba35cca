package settle

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// TestGeneratedMonth pushes a month of messages through a real store
// (accept → queued → sending → sent → delivered or failed, Kakao fallbacks
// billed as SMS/LMS, some left open or expired) and checks that the bill-once
// counters equal a recount of final messages and the statement built on them.
func TestGeneratedMonth(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	st, err := store.Open(t.TempDir(), store.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[message.Product]uint64{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Times from 1 Nov to 29 Nov 23:59 UTC: all in November in Seoul too.
	const n = 400
	for i := range n {
		now = time.Date(2026, 11, 1+rng.IntN(29), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)
		p := message.Products[rng.IntN(len(message.Products))]
		m := &message.Message{Customer: "acme", ClientRef: fmt.Sprint("r", i), Product: p, Sender: "0212345678",
			Recipient: "01012345678", Text: "t", Fallback: message.FallbackAuto}
		if p.Kakao() {
			m.Kakao.SenderKey, m.Kakao.TemplateCode = "sk", "T"
		}
		id, _, err := st.Accept(ctx, m)
		must(err)
		must(st.MarkQueued(ctx, id))
		must(st.MarkSending(ctx, id, "c1"))
		cmid := fmt.Sprint("cm", i)
		_, err = st.RecordSubmitResp(ctx, id, "c1", cmid, now)
		must(err)
		billed := p
		if p.Kakao() && rng.IntN(4) == 0 { // Kakao failed: fallback leg as SMS
			billed = message.ProductSMS
			must(st.Fallback(ctx, id, billed))
			must(st.MarkSending(ctx, id, "c1"))
			cmid += "f"
			_, err = st.RecordSubmitResp(ctx, id, "c1", cmid, now)
			must(err)
		}
		switch rng.IntN(5) {
		case 0: // left waiting for its receipt
			continue
		case 1:
			_, err = st.ApplyReceipt(ctx, store.Receipt{Carrier: "c1", CarrierMsgID: cmid, Final: true,
				Result: message.Result{Source: message.SourceReceipt, Code: "UNDELIV"}, At: now.Add(time.Minute)})
			must(err)
			continue
		}
		rc := store.Receipt{Carrier: "c1", CarrierMsgID: cmid, Final: true, Delivered: true,
			Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}, At: now.Add(time.Minute)}
		_, err = st.ApplyReceipt(ctx, rc)
		must(err)
		// A duplicate receipt bills nothing more.
		out, err := st.ApplyReceipt(ctx, rc)
		must(err)
		if out != store.OutcomeDuplicate {
			t.Fatalf("second receipt: %v", out)
		}
		want[billed]++
	}
	// A message of another customer and one of December do not count.
	now = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	id, _, err := st.Accept(ctx, &message.Message{Customer: "acme", ClientRef: "dec", Product: message.ProductSMS, Sender: "0212345678", Recipient: "01012345678", Text: "t"})
	must(err)
	must(st.MarkQueued(ctx, id))
	must(st.MarkSending(ctx, id, "c1"))
	_, err = st.RecordSubmitResp(ctx, id, "c1", "dec", now)
	must(err)
	_, err = st.ApplyReceipt(ctx, store.Receipt{Carrier: "c1", CarrierMsgID: "dec", Final: true, Delivered: true, At: now})
	must(err)

	counts, err := st.MonthCounts("acme", "2026-11")
	must(err)
	re, err := st.Recount("acme", "2026-11")
	must(err)
	for _, p := range message.Products {
		if counts[p] != want[p] || re[p] != want[p] {
			t.Errorf("%s: counters %d, recount %d, generated %d", p, counts[p], re[p], want[p])
		}
	}
	must(st.Verify())

	s := settler(t)
	stmt, err := s.FromCounter(st, "acme", "2026-11")
	must(err)
	var sum Price
	var total uint64
	for i, p := range message.Products {
		l := stmt.Lines[i]
		if l.Product != p.String() || l.Count != want[p] || l.Amount != Price(want[p])*s.prices[p] {
			t.Errorf("line %d: %+v, want %d × %s", i, l, want[p], s.prices[p])
		}
		sum += l.Amount
		total += want[p]
	}
	if stmt.Messages != total || stmt.Supply != int64(sum)/100 || stmt.VAT != stmt.Supply/10 || stmt.Total != stmt.Supply+stmt.VAT {
		t.Fatalf("statement %+v, sum %s", stmt, sum)
	}
	if total == 0 || want[message.ProductSMS] == 0 {
		t.Fatal("generated month delivered nothing")
	}
	t.Logf("%d delivered of %d: supply %d, VAT %d, total %d", total, n, stmt.Supply, stmt.VAT, stmt.Total)
}
