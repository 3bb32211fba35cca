package smpp_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// BenchmarkSubmitLoopback measures sustained submit_sm/s over one
// transceiver bind to the simulated SMSC on loopback, window 256, with many
// concurrent submitters.
func BenchmarkSubmitLoopback(b *testing.B) {
	srv, err := smpptest.NewServer(smpptest.Config{Receipts: smpptest.ReceiptNone})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	s, err := smpp.NewSession(smpp.Config{Addr: srv.Addr(), SystemID: "bench", Window: 256})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		b.Fatal(err)
	}
	msg := &pdu.SubmitSM{
		Source:       pdu.Address{TON: 1, NPI: 1, Addr: "15884954"},
		Dest:         pdu.Address{TON: 1, NPI: 1, Addr: "01012345678"},
		DataCoding:   0x08,
		ShortMessage: make([]byte, 140),
	}
	b.ReportAllocs()
	b.SetParallelism(256)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Submit(ctx, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}

// BenchmarkSubmitWithReceipts is BenchmarkSubmitLoopback with a receipt
// for every message coming back on the same transceiver bind and going
// through the deliver_sm workers.
func BenchmarkSubmitWithReceipts(b *testing.B) {
	srv, err := smpptest.NewServer(smpptest.Config{Receipts: smpptest.ReceiptBoth})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var receipts atomic.Int64
	s, err := smpp.NewSession(smpp.Config{
		Addr: srv.Addr(), SystemID: "bench", Window: 256,
		HandlerWorkers: 8, HandlerQueue: 1024,
		OnDeliver: func(context.Context, *pdu.DeliverSM) error { receipts.Add(1); return nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		b.Fatal(err)
	}
	msg := &pdu.SubmitSM{
		Source:             pdu.Address{TON: 1, NPI: 1, Addr: "15884954"},
		Dest:               pdu.Address{TON: 1, NPI: 1, Addr: "01012345678"},
		RegisteredDelivery: 1,
		ShortMessage:       []byte("hello receipts"),
	}
	b.ReportAllocs()
	b.SetParallelism(256)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Submit(ctx, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	for receipts.Load() < int64(b.N) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits+receipts/s")
}
