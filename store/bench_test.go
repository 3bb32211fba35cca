package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// parallel runs fn b.N times over n goroutines and reports the rate.
func parallel(b *testing.B, n int, unit string, fn func(i int) error) {
	b.ReportAllocs()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), unit)
}

func openBench(b *testing.B) *Store {
	s, err := Open(b.TempDir(), Options{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

var callers = []int{1, 16, 256}

// BenchmarkAccept: synced acceptances per second on the real disk.
func BenchmarkAccept(b *testing.B) {
	for _, n := range callers {
		b.Run(fmt.Sprint("callers=", n), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			parallel(b, n, "accepts/s", func(i int) error {
				m := sms("bench", strconv.Itoa(i))
				m.Text = string(make([]byte, 200))
				_, _, err := s.Accept(ctx, m)
				return err
			})
			b.ReportMetric(float64(b.N)/float64(s.m.commits.Get()), "writes/commit")
		})
	}
}

// BenchmarkPebbleSyncedSet is the anchor: Pebble alone, concurrent synced
// 300-byte writes.
func BenchmarkPebbleSyncedSet(b *testing.B) {
	for _, n := range callers {
		b.Run(fmt.Sprint("callers=", n), func(b *testing.B) {
			db, err := pebble.Open(b.TempDir(), &pebble.Options{Logger: pebbleLogger{discardLogger()}})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			v := make([]byte, 300)
			parallel(b, n, "writes/s", func(i int) error {
				return db.Set([]byte(strconv.Itoa(i)), v, pebble.Sync)
			})
		})
	}
}

// preload accepts n messages and walks each to state (accepted, queued or
// sent) through the store's own write path, 5,000 to a batch.
func preload(b *testing.B, s *Store, n int, state message.State, sentAt time.Time) []message.ID {
	ids := make([]message.ID, 0, n)
	for len(ids) < n {
		err := s.do(context.Background(), func(w *writer) error {
			for k := 0; k < 5000 && len(ids) < n; k++ {
				i := len(ids)
				id, _, err := w.accept(prepare(sms("bench", strconv.Itoa(i)), w.now, DefaultValidity))
				if err != nil {
					return err
				}
				ids = append(ids, id)
				path := []message.State{message.StateQueued, message.StateSending, message.StateSent}
				for _, st := range path {
					if st > state {
						break
					}
					r, err := w.load(id)
					if err != nil {
						return err
					}
					if err := w.move(r, st, func(m *message.Message) {
						m.Carrier, m.CarrierMsgID, m.SentAt = "skt", "M"+strconv.Itoa(i), sentAt
					}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// BenchmarkTransition: synced accepted → queued transitions.
func BenchmarkTransition(b *testing.B) {
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprint("callers=", n), func(b *testing.B) {
			s := openBench(b)
			ids := preload(b, s, b.N, message.StateAccepted, time.Time{})
			ctx := context.Background()
			parallel(b, n, "transitions/s", func(i int) error { return s.MarkQueued(ctx, ids[i]) })
		})
	}
}

// BenchmarkReceipt: receipt correlation (carrier id lookup + transition to
// delivered, with outbox report and billing counter), 256 callers.
func BenchmarkReceipt(b *testing.B) {
	s := openBench(b)
	preload(b, s, b.N, message.StateSent, time.Now())
	ctx := context.Background()
	parallel(b, 256, "receipts/s", func(i int) error {
		out, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "M" + strconv.Itoa(i), Delivered: true, Final: true})
		if err == nil && out != OutcomeApplied {
			err = fmt.Errorf("outcome %s", out)
		}
		return err
	})
}

// BenchmarkExpireDue: messages expired per second by bounded scans.
func BenchmarkExpireDue(b *testing.B) {
	s := openBench(b)
	sent := time.Now().Add(-message.ResultWindow - time.Hour)
	preload(b, s, b.N, message.StateSent, sent)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	done := 0
	for done < b.N {
		ids, err := s.ExpireDue(ctx, time.Now(), 512)
		if err != nil || len(ids) == 0 {
			b.Fatalf("expired %d of %d: %v", done, b.N, err)
		}
		done += len(ids)
	}
	b.ReportMetric(float64(done)/time.Since(start).Seconds(), "expired/s")
}

// BenchmarkRecover: recovery of 100,000 open messages among
// STORE_BENCH_RECORDS records (default 1,000,000; the target is 10 million
// in at most 2 s). Populating takes a while; the store is built once.
func BenchmarkRecover(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("STORE_BENCH_RECORDS")); err == nil {
		total = v
	}
	const open = 100_000
	dir := b.TempDir()
	s, err := Open(dir, Options{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	bulkFinal(b, s, total-open)
	preload(b, s, open, message.StateQueued, time.Time{})
	s.Close()
	b.Logf("populated %d records in %v", total, time.Since(start))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, err := Open(dir, Options{Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		st, err := s.Recover(func(*message.Message) error { return nil })
		if err != nil || st.Open != open {
			b.Fatalf("recovered %d, %v", st.Open, err)
		}
		s.Close()
	}
}

// bulkFinal writes n failed messages with all their indexes through the
// write path, 10,000 to a batch.
func bulkFinal(b *testing.B, s *Store, n int) {
	res := message.Result{Source: message.SourceSMPP, Code: "0x00000045"}
	for done := 0; done < n; {
		err := s.do(context.Background(), func(w *writer) error {
			for k := 0; k < 10000 && done < n; k++ {
				m := sms("bulk", "")
				m.Text = "결제가 완료되었습니다. 주문번호 1234567890"
				id, _, err := w.accept(prepare(m, w.now, DefaultValidity))
				if err != nil {
					return err
				}
				r, err := w.load(id)
				if err != nil {
					return err
				}
				if err := w.move(r, message.StateFailed, func(m *message.Message) { m.Result = res }); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordCodec: one message record encoded and decoded, as every
// transition does; the decoded strings share one allocation.
func BenchmarkRecordCodec(b *testing.B) {
	r := &rec{Message: *sms("bench", "ref-000123")}
	r.ID, r.State, r.Carrier, r.CarrierMsgID = 1<<40, message.StateSent, "skt", "0a1b2c3d4e5f"
	r.AcceptedAt, r.SentAt = time.Now(), time.Now()
	b.ReportAllocs()
	var out rec
	for b.Loop() {
		if err := decodeRecord(encodeRecord(nil, r), &out); err != nil {
			b.Fatal(err)
		}
	}
}
