package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// BenchmarkMessageLife writes SMS through the life the default bench
// scenario gives them, from 64 callers at once: accepted with a client
// reference, sent in one Advance, delivered by a receipt, the report read
// and acknowledged. An op is one message; allocs/op are the store's
// allocations per message, bytes/msg what its batches carried.
func BenchmarkMessageLife(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	text := "[은행] 인증번호는 482913 입니다. 타인에게 알리지 마세요."
	sent := []message.State{message.StateQueued, message.StateSending, message.StateSent}
	entries, bytes := s.m.entries.Get(), s.m.bytes.Get()
	var reader sync.Mutex
	var after uint64
	parallel(b, 64, "msgs/s", func(i int) error {
		m := &message.Message{Customer: "bench1", ClientRef: fmt.Sprintf("rdnb3l2eio1x6-%d", i),
			Product: message.ProductSMS, Sender: "0212345678", Recipient: "01010005020", Text: text}
		id, _, err := s.Accept(ctx, m)
		if err != nil {
			return err
		}
		cmid := strconv.FormatUint(uint64(id)&0xfffff, 16)
		now := time.Now()
		if err := s.Advance(ctx, id, message.StateAccepted, sent, func(m *message.Message) {
			m.Carrier, m.CarrierMsgID, m.SentAt, m.Attempts = "carrier1", cmid, now, 1
		}); err != nil {
			return err
		}
		rc := []Receipt{{Carrier: "carrier1", CarrierMsgID: cmid, Delivered: true, Final: true,
			Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD", Reason: "DELIVRD err:000"}}}
		if err := s.ApplyReceipts(ctx, rc, make([]Applied, 1)); err != nil {
			return err
		}
		if i%64 != 0 || !reader.TryLock() {
			return nil
		}
		defer reader.Unlock() // one reader at a time, as upstream has
		reps, err := s.Reports("bench1", after, 1000)
		if err != nil || len(reps) == 0 {
			return err
		}
		seqs := make([]uint64, len(reps))
		for i, rp := range reps {
			seqs[i] = rp.Seq
		}
		after = seqs[len(seqs)-1]
		return s.AckReports(ctx, "bench1", seqs...)
	})
	n := float64(b.N)
	b.ReportMetric(float64(s.m.entries.Get()-entries)/n, "entries/msg")
	b.ReportMetric(float64(s.m.bytes.Get()-bytes)/n, "bytes/msg")
}
