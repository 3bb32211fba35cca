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
	msg := &pdu.SubmitSM{
		Source:       pdu.Address{TON: 1, NPI: 1, Addr: "15884954"},
		Dest:         pdu.Address{TON: 1, NPI: 1, Addr: "01012345678"},
		DataCoding:   0x08,
		ShortMessage: make([]byte, 140),
	}
	start := benchSubmits(b, smpptest.Config{Receipts: smpptest.ReceiptNone}, smpp.Config{}, msg)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}

// BenchmarkSubmitWithReceipts is BenchmarkSubmitLoopback with a receipt
// for every message coming back on the same transceiver bind and going
// through the deliver_sm workers.
func BenchmarkSubmitWithReceipts(b *testing.B) {
	var receipts atomic.Int64
	cfg := smpp.Config{
		HandlerWorkers: 8, HandlerQueue: 1024,
		OnDeliver: func(context.Context, *pdu.DeliverSM) error { receipts.Add(1); return nil },
	}
	msg := &pdu.SubmitSM{
		Source:             pdu.Address{TON: 1, NPI: 1, Addr: "15884954"},
		Dest:               pdu.Address{TON: 1, NPI: 1, Addr: "01012345678"},
		RegisteredDelivery: 1,
		ShortMessage:       []byte("hello receipts"),
	}
	start := benchSubmits(b, smpptest.Config{Receipts: smpptest.ReceiptBoth}, cfg, msg)
	deadline := time.Now().Add(time.Minute)
	for receipts.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits+receipts/s")
}

// benchSubmits binds cfg (window 256) to a simulated SMSC with srvCfg and
// submits msg b.N times from 256 goroutines; it returns when the timer
// started.
func benchSubmits(b *testing.B, srvCfg smpptest.Config, cfg smpp.Config, msg *pdu.SubmitSM) time.Time {
	b.Helper()
	srv, err := smpptest.NewServer(srvCfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	cfg.Addr, cfg.SystemID, cfg.Window = srv.Addr(), "bench", 256
	s, err := smpp.NewSession(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		b.Fatal(err)
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
	return start
}
