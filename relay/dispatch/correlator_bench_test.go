package dispatch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/store"
)

// benchCorrelator is a correlator over a fresh store holding n messages
// sent to carrier "a" under hex ids 1..n, each waiting for its receipt.
func benchCorrelator(b *testing.B, n int) (func(context.Context, *pdu.DeliverSM) error, *store.Store) {
	b.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(b.TempDir(), store.Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ctx := context.Background()
	ms := make([]*message.Message, n)
	for i := range ms {
		ms[i] = &message.Message{Customer: "shop", ClientRef: strconv.Itoa(i), Product: message.ProductSMS,
			Sender: "0212345678", Recipient: "01098765432", Text: "배송이 시작되었습니다", AcceptedAt: time.Now()}
	}
	out := make([]store.Accepted, n)
	if err := st.AcceptBatch(ctx, ms, out); err != nil {
		b.Fatal(err)
	}
	// Move them to sent in parallel, as the dispatcher's workers would,
	// so the group commit keeps the set-up short.
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 256 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				id := out[i].ID
				err := st.MarkQueued(ctx, id)
				if err == nil {
					err = st.MarkSending(ctx, id, "a")
				}
				if err == nil {
					_, err = st.RecordSubmitResp(ctx, id, "a", strconv.FormatUint(uint64(i+1), 16), time.Now())
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	var hex receipt.IDFormat
	_ = hex.UnmarshalText([]byte("hex"))
	set := metrics.NewSet()
	c := &carrier{name: "a", cfg: CarrierConfig{RespIDs: hex, ReceiptIDs: hex}, loc: time.UTC, m: newCarrierMetrics(set, "a")}
	corr := newCorrelator(time.Now, st, newDispatchMetrics(set), log, set)
	return corr.handler(c), st
}

// receiptPDU is the deliver_sm of the receipt of carrier id i (hex), in
// the usual text form with the TLVs.
func receiptPDU(i int) *pdu.DeliverSM {
	id := strconv.FormatUint(uint64(i), 16)
	d := &pdu.DeliverSM{ESMClass: 0x04,
		ShortMessage: fmt.Appendf(nil, "id:%s sub:001 dlvrd:001 submit date:2611261000 done date:2611261001 stat:DELIVRD err:000 text:", id)}
	_ = d.TLVs.SetReceiptedMessageID(id)
	d.TLVs.SetMessageState(pdu.StateDelivered)
	return d
}

// BenchmarkReceiptCorrelation is deliver_sm → receipt parse → ApplyReceipt
// (one synced write each, grouped across the parallel handlers as the
// bind's handler workers are) → the report in the outbox.
func BenchmarkReceiptCorrelation(b *testing.B) {
	b.Run("applied", func(b *testing.B) {
		h, _ := benchCorrelator(b, b.N)
		pdus := make([]*pdu.DeliverSM, b.N)
		for i := range pdus {
			pdus[i] = receiptPDU(i + 1)
		}
		var next atomic.Int64
		b.SetParallelism(64) // the handler workers of a bind
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := h(context.Background(), pdus[next.Add(1)-1]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	// A receipt for a message already final: the parse and the lookup,
	// no write (no fsync): the CPU and allocations of the path itself.
	b.Run("duplicate", func(b *testing.B) {
		h, _ := benchCorrelator(b, 64)
		pdus := make([]*pdu.DeliverSM, 64)
		for i := range pdus {
			pdus[i] = receiptPDU(i + 1)
			if err := h(context.Background(), pdus[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := h(context.Background(), pdus[i%64]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
