package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/store"
)

// countingHandler counts the log records written at Warn and above.
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

type corrRig struct {
	st      *store.Store
	set     *metrics.Set
	logs    atomic.Int64
	deliver func(context.Context, *pdu.DeliverSM) error
}

func newCorrRig(t *testing.T) *corrRig {
	t.Helper()
	r := &corrRig{set: metrics.NewSet()}
	log := slog.New(countingHandler{&r.logs})
	st, err := store.Open(t.TempDir(), store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	corr := newCorrelator(time.Now, st, newDispatchMetrics(r.set), log, r.set)
	r.deliver = corr.handler(&carrier{name: "a", loc: time.UTC, m: newCarrierMetrics(r.set, "a")})
	return r
}

func receiptWithID(id string) *pdu.DeliverSM {
	d := &pdu.DeliverSM{ESMClass: 0x04}
	_ = d.TLVs.SetReceiptedMessageID(id)
	d.TLVs.SetMessageState(pdu.StateDelivered)
	return d
}

func (r *corrRig) counter(name string) uint64 { return r.set.GetOrCreateCounter(name).Get() }

// TestReceiptNeverApplicableAcknowledged: a receipt whose id is longer
// than the store keeps can never be applied. It is acknowledged (the
// carrier would resend it forever otherwise), counted, and logged at a
// bounded rate; it is not a store error.
func TestReceiptNeverApplicableAcknowledged(t *testing.T) {
	r := newCorrRig(t)
	ctx := context.Background()
	long := strings.Repeat("7", 300)
	const n = 200
	for i := range n {
		if err := r.deliver(ctx, receiptWithID(long)); err != nil {
			t.Fatalf("receipt %d with a %d-byte id refused: %v", i, len(long), err)
		}
	}
	// No id at all can never be applied either.
	if err := r.deliver(ctx, receiptWithID("   ")); err != nil {
		t.Fatalf("receipt with a blank id refused: %v", err)
	}
	if got := r.counter(`relay_receipts_invalid_total{carrier="a"}`); got != n {
		t.Fatalf("invalid receipts counted %d, want %d", got, n)
	}
	if got := r.counter(`relay_receipts_unreadable_total`); got != 1 {
		t.Fatalf("the blank id counted %d times as unreadable", got)
	}
	if got := r.counter(`relay_store_errors_total`); got != 0 {
		t.Fatalf("counted %d store errors", got)
	}
	if got := r.logs.Load(); got == 0 || got > 20 {
		t.Fatalf("%d warnings logged for %d bad receipts, want a few", got, n+1)
	}
}

// TestReceiptUnreadableAcknowledged: bytes that are no receipt are
// acknowledged, counted and logged at a bounded rate.
func TestReceiptUnreadableAcknowledged(t *testing.T) {
	r := newCorrRig(t)
	ctx := context.Background()
	const n = 200
	for range n {
		if err := r.deliver(ctx, &pdu.DeliverSM{ESMClass: 0x04, ShortMessage: []byte("garbage")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.counter(`relay_receipts_unreadable_total`); got != n {
		t.Fatalf("unreadable receipts counted %d, want %d", got, n)
	}
	if got := r.logs.Load(); got == 0 || got > 20 {
		t.Fatalf("%d warnings logged for %d unreadable receipts", got, n)
	}
}

// TestReceiptStoreFailureRetried: only a true store failure makes the
// carrier send the receipt again.
func TestReceiptStoreFailureRetried(t *testing.T) {
	r := newCorrRig(t)
	r.st.Close()
	if err := r.deliver(context.Background(), receiptWithID("1a2b")); err == nil {
		t.Fatal("receipt acknowledged while the store is closed")
	}
	if got := r.counter(`relay_store_errors_total`); got != 1 {
		t.Fatalf("store errors counted %d", got)
	}
}

// elsewhereRec is an Elsewhere that records each call and refuses the
// receipts whose id is in refuse.
type elsewhereRec struct {
	calls  [][]string
	refuse map[string]bool
}

func (e *elsewhereRec) Forward(_ context.Context, rcs []store.Receipt, contents [][]byte, errs []error) {
	var ids []string
	for i, rc := range rcs {
		ids = append(ids, rc.CarrierMsgID)
		if rc.LocalOnly || len(contents[i]) == 0 {
			errs[i] = errors.New("forwarded as local only, or without its content")
		} else if e.refuse[rc.CarrierMsgID] {
			errs[i] = errors.New("no quorum")
		}
	}
	e.calls = append(e.calls, ids)
}

// TestBatchForwardedInOneCall: the receipts of a bind's batch that the
// store does not know go to Elsewhere in one call, so their writes can go
// out together, and each deliver_sm gets its own receipt's answer; a
// receipt the store knows is answered without Elsewhere.
func TestBatchForwardedInOneCall(t *testing.T) {
	r := newCorrRig(t)
	e := &elsewhereRec{refuse: map[string]bool{"b2": true}}
	corr := newCorrelator(time.Now, r.st, newDispatchMetrics(r.set), slog.New(countingHandler{&r.logs}), r.set)
	corr.elsewhere = e
	batch := corr.batch(&carrier{name: "a", loc: time.UTC, m: newCarrierMetrics(r.set, "a")})
	ds := []*pdu.DeliverSM{receiptWithID("b1"), receiptWithID("b2"), receiptWithID(strings.Repeat("7", 300)), receiptWithID("b3")}
	errs := make([]error, len(ds))
	batch(context.Background(), ds, errs)
	if len(e.calls) != 1 || strings.Join(e.calls[0], ",") != "b1,b2,b3" {
		t.Fatalf("Elsewhere called with %v, want one call with b1,b2,b3", e.calls)
	}
	if errs[0] != nil || errs[1] == nil || errs[2] != nil || errs[3] != nil {
		t.Fatalf("answers %v: want only b2's refused", errs)
	}
}

// TestReceiptReadCopiesOnce: reading a common receipt (an id in the
// carrier's own form, a status and an error code seen before) copies its
// text once and makes nothing else; its result is as before.
func TestReceiptReadCopiesOnce(t *testing.T) {
	set := metrics.NewSet()
	corr := newCorrelator(time.Now, nil, newDispatchMetrics(set), slog.New(slog.DiscardHandler), set)
	c := &carrier{name: "a", account: "a", loc: time.UTC, m: newCarrierMetrics(set, "a")}
	d := &pdu.DeliverSM{ESMClass: 0x04, ShortMessage: []byte(
		"id:1a2b3c sub:001 dlvrd:001 submit date:2612031210 done date:2612031210 stat:DELIVRD err:000 text:")}
	now := time.Now()
	rd, ok := corr.read(c, d, now)
	if !ok {
		t.Fatal("receipt not read")
	}
	rc := rd.rc
	if rc.CarrierMsgID != "1a2b3c" || !rc.Delivered || !rc.Final || rc.Result.Code != "DELIVRD" || rc.Result.Reason != "DELIVRD err:000" {
		t.Fatalf("read %+v", rc)
	}
	if n := testing.AllocsPerRun(100, func() { corr.read(c, d, now) }); n > 1 {
		t.Errorf("reading a receipt allocates %v times, want 1 (its text)", n)
	}
}
